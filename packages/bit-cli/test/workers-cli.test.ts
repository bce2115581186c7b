/**
 * `--workers N` of the CLI: flags validated (exit 2, naming the flag); predict, features and
 * eval with --workers 2 equal --workers 1; finetune with --workers 2 runs and resumes with 1.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bit, FIXTURES, writeTinyCheckpoint } from './helpers';
import { writeColourFolder } from './image-folder';

const work = mkdtempSync(join(tmpdir(), 'bit-workers-'));
const checkpoint = join(work, 'tiny3.npz');
const tiny = join(FIXTURES, 'bit-tiny');
const npy = join(tiny, 'input.npy');
const wasm = ['--backend', 'wasm'];
const finetune = ['finetune', '--model', checkpoint, '--train', join(work, 'train')];

beforeAll(async () => {
  writeColourFolder(work, { train: 4, val: 3 });
  await writeTinyCheckpoint(checkpoint, 3);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function json(args: string[]): unknown {
  const r = bit(args);
  expect(r.stderr).not.toMatch(/Error/);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

function expectClose(a: unknown, b: unknown, tol = 1e-5): void {
  if (typeof a === 'number') {
    expect(Math.abs(a - (b as number))).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(a)));
  } else if (Array.isArray(a)) {
    expect((b as unknown[]).length).toBe(a.length);
    a.forEach((x, i) => expectClose(x, (b as unknown[])[i], tol));
  } else if (a && typeof a === 'object') {
    expect(Object.keys(b as object).sort()).toEqual(Object.keys(a).sort());
    for (const [k, v] of Object.entries(a)) expectClose(v, (b as Record<string, unknown>)[k], tol);
  } else {
    expect(b).toEqual(a);
  }
}

describe('--workers', () => {
  it('is validated: an integer >= 1, exit 2 naming the flag', () => {
    for (const args of [
      ['predict', npy, '--model', join(tiny, 'weights.npz'), '--workers', '0'],
      ['features', npy, '--model', join(tiny, 'weights.npz'), '--workers', 'two'],
      ['eval', '--model', checkpoint, '--data', join(work, 'val'), '--workers', '1.5'],
      ['bench', '--mode', 'train', '--workers', '0'],
      [...finetune, '--out', join(work, 'x'), '--workers=-1'],
      [
        'pretrain',
        '--train',
        join(work, 'train'),
        '--out',
        join(work, 'y'),
        '--steps',
        '10',
        '--workers',
        '0',
      ],
    ]) {
      const r = bit(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/--workers must be an integer in \[1, 64\]/);
    }
  });

  it('predict, features and eval: --workers 2 gives the results of --workers 1, in input order', () => {
    const model = ['--model', join(tiny, 'weights.npz'), ...wasm, '--json'];
    // Two inputs (whole inputs to each replica) and one .npy batch (its rows split).
    for (const inputs of [[npy, npy], [npy]]) {
      const p1 = json(['predict', ...inputs, ...model, '--logits', '--workers', '1']);
      const p2 = json(['predict', ...inputs, ...model, '--logits', '--workers', '2']);
      expectClose(p1, p2);
      const f1 = json(['features', ...inputs, ...model, '--workers', '1']);
      const f2 = json(['features', ...inputs, ...model, '--workers', '2']);
      expectClose(f1, f2);
    }
    const data = [
      '--model',
      checkpoint,
      '--data',
      join(work, 'val'),
      '--resolution',
      '32',
      '--batch',
      '5',
    ];
    const e1 = json(['eval', ...data, ...wasm, '--json', '--workers', '1']) as { count: number };
    const e2 = json(['eval', ...data, ...wasm, '--json', '--workers', '2']);
    expect(e1.count).toBe(9);
    expectClose(e1, e2);
  });

  it('finetune --workers 2 records every step once; its run folder resumes with --workers 1', () => {
    const out = join(work, 'run');
    const args = [...finetune, '--out', out];
    const flags = ['--batch', '5', '--resolution', '32', '--seed', '3', ...wasm, '--json'];
    const r = bit([...args, ...flags, '--steps', '5', '--workers', '2']);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const steps = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"loss"') && !l.includes('top1'))
      .map((l) => (JSON.parse(l) as { step: number }).step);
    expect(steps).toEqual([0, 1, 2, 3, 4]);
    const again = bit([...args, ...flags, '--steps', '5', '--resume', '--workers', '1']);
    expect(again.code).toBe(0);
  });
});
