/**
 * `bit finetune` end to end (the acceptance): a checkpoint in the official layout
 * fine-tunes on an image folder (3 classes, new head) with --batch 16 --steps 40 --resolution 32
 * --seed 1 on the default backend; SIGINT near step 15 and a rerun with --resume leave
 * metrics.jsonl with each step up to 40 exactly once; the run reaches >= 90% top-1 on held-out
 * images; `bit eval` and `bit predict` take the run folder.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bit, CLI, writeTinyCheckpoint } from './helpers';
import { writeColourFolder } from './image-folder';

const work = mkdtempSync(join(tmpdir(), 'bit-finetune-'));
const checkpoint = join(work, 'bit-small.npz');
const run = join(work, 'run');
const flags = ['--batch', '16', '--steps', '40', '--resolution', '32', '--seed', '1'];

function metricSteps(): number[] {
  const path = join(run, 'metrics.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { step: number; loss?: number; top1?: number })
    .filter((m) => m.loss !== undefined && m.top1 === undefined)
    .map((m) => m.step);
}

/** Starts `bit finetune`, sends SIGINT once step >= 15 is in metrics.jsonl, resolves with the exit code. */
function finetuneInterrupted(
  args: string[],
): Promise<{ code: number | null; stderr: string; stepAtSignal: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stepAtSignal = -1;
    child.stderr.on('data', (d) => (stderr += d));
    const deadline = Date.now() + 240_000;
    const timer = setInterval(() => {
      const steps = metricSteps();
      const last = steps.length ? Math.max(...steps) : -1;
      if (stepAtSignal < 0 && last >= 14) {
        stepAtSignal = last;
        child.kill('SIGINT');
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        reject(new Error(`finetune did not reach step 15 in time: ${stderr}`));
      }
    }, 100);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ code, stderr, stepAtSignal });
    });
  });
}

beforeAll(async () => {
  writeColourFolder(work, { train: 24, val: 10 });
  await writeTinyCheckpoint(checkpoint, 10);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bit finetune on an image folder', () => {
  it('SIGINT near step 15, then --resume: every step 0..39 exactly once', async () => {
    const base = [
      'finetune',
      '--model',
      checkpoint,
      '--train',
      join(work, 'train'),
      '--val',
      join(work, 'val'),
      '--out',
      run,
      ...flags,
    ];
    const first = await finetuneInterrupted(base);
    expect(first.stepAtSignal).toBeGreaterThanOrEqual(14);
    expect(first.code, first.stderr).toBe(130);
    expect(first.stderr).not.toMatch(/\n\s+at /);
    const before = metricSteps();
    expect(Math.max(...before)).toBeLessThan(39);
    const second = bit([...base, '--resume', '--json']);
    expect(second.code, second.stderr).toBe(0);
    const summary = JSON.parse(second.stdout);
    expect(summary.status).toBe('completed');
    expect(summary.resumedFrom).toBeGreaterThanOrEqual(15);
    expect(summary.classes).toEqual(['blue', 'green', 'red']);
    const steps = metricSteps();
    expect(steps).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('bit eval --json on held-out images: >= 90% top-1', () => {
    const r = bit(['eval', '--model', run, '--data', join(work, 'val'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(expect.arrayContaining(['top1', 'top5', 'loss']));
    expect(out.top1).toBeGreaterThanOrEqual(0.9);
    expect(out.top5).toBe(1);
    expect(out.loss).toBeGreaterThan(0);
  });

  it('bit predict IMG --model RUN --top 1 --json names the class folder', () => {
    for (const name of ['red', 'green', 'blue']) {
      const r = bit([
        'predict',
        join(work, 'val', name, '3.png'),
        '--model',
        run,
        '--top',
        '1',
        '--json',
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).predictions[0].top[0].label).toBe(name);
    }
  });

  it('bit convert --model RUN writes a portable TF.js model that keeps the class names', () => {
    const out = join(work, 'converted');
    let r = bit(['convert', '--model', run, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(out, 'model.json'), 'utf8')).not.toContain(work);
    r = bit(['predict', join(work, 'val', 'red', '3.png'), '--model', out, '--top', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).predictions[0].top[0].label).toBe('red');
  });

  it('a second finetune into the same folder without --resume or --overwrite exits 2', () => {
    const r = bit([
      'finetune',
      '--model',
      checkpoint,
      '--train',
      join(work, 'train'),
      '--out',
      run,
      ...flags,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/resume|overwrite/);
  });
});

describe('bad flags and missing files exit 2 with a usage line', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['missing --train', ['finetune', '--model', checkpoint, '--out', join(work, 'x')], /--train/],
    [
      'unknown flag',
      ['finetune', '--model', checkpoint, '--train', work, '--out', join(work, 'x'), '--bogus'],
      /bogus/,
    ],
    [
      'bad --batch',
      [
        'finetune',
        '--model',
        checkpoint,
        '--train',
        work,
        '--out',
        join(work, 'x'),
        '--batch',
        '-1',
      ],
      /--batch/,
    ],
    [
      'missing train folder',
      ['finetune', '--model', checkpoint, '--train', join(work, 'nope'), '--out', join(work, 'x')],
      /nope/,
    ],
    [
      'missing model file',
      [
        'finetune',
        '--model',
        join(work, 'nope.npz'),
        '--train',
        join(work, 'train'),
        '--out',
        join(work, 'y'),
      ],
      /nope\.npz/,
    ],
    ['eval without --data', ['eval', '--model', run], /--data/],
    ['eval of a missing folder', ['eval', '--model', run, '--data', join(work, 'nope')], /nope/],
  ];
  for (const [name, args, pattern] of cases) {
    it(name, () => {
      const r = bit(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).toMatch(/usage: bit /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
});
