/**
 * `bit pretrain` through the built binary: a few steps from scratch on a Fashion-MNIST subset
 * (classes 0-4), a run folder that `bit eval` reads, resume of a finished run, and exit 2 for
 * bad flags or a used --out.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bit } from './helpers';

const FASHION = '/usr/share/datasets/fashion-mnist';
const work = mkdtempSync(join(tmpdir(), 'bit-pretrain-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bit pretrain', () => {
  it('refuses bad flags with exit 2 and no stack trace', () => {
    for (const args of [
      ['pretrain', '--out', join(work, 'x'), '--steps', '20'],
      ['pretrain', '--train', FASHION, '--out', join(work, 'x')],
      ['pretrain', '--train', FASHION, '--out', join(work, 'x'), '--steps', '20', '--epochs', '1'],
      ['pretrain', '--train', FASHION, '--out', join(work, 'x'), '--steps', '20', '--units', '1,1'],
      ['pretrain', '--train', FASHION, '--out', join(work, 'x'), '--steps', '20', '--width', '0.3'],
      [
        ...['pretrain', '--train', FASHION, '--out', join(work, 'x'), '--steps', '20'],
        '--crop-area',
        '0',
      ],
      [
        ...['pretrain', '--train', FASHION, '--out', join(work, 'x'), '--steps', '20'],
        '--crop-area',
        '0.5,0.2',
      ],
      [
        ...['pretrain', '--train', FASHION, '--out', join(work, 'x'), '--steps', '20'],
        ...['--crop-area', '0.1', '--no-crop'],
      ],
    ]) {
      const r = bit(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      if (args.includes('--crop-area')) expect(r.stderr).toMatch(/--crop-area/);
    }
  });

  it.skipIf(!existsSync(FASHION))(
    'pre-trains on Fashion-MNIST classes 0-4; the run folder evaluates; a used --out is refused',
    () => {
      const out = join(work, 'run');
      const args = [
        'pretrain',
        '--train',
        FASHION,
        '--classes',
        '0-4',
        '--units',
        '1,1,1,1',
        '--width',
        '0.5',
        '--steps',
        '12',
        '--batch',
        '8',
        '--resolution',
        '16',
        '--seed',
        '1',
        '--backend',
        'wasm',
        '--out',
        out,
        '--json',
      ];
      const r = bit(args);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary.status).toBe('completed');
      expect(summary.step).toBe(12);
      expect(summary.weightDecay).toBe(1e-4);
      expect(summary.classes).toEqual(['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat']);
      const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n');
      expect(lines.map((l) => JSON.parse(l).step)).toEqual([...Array(12).keys()]);

      const again = bit(args);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/already holds a run/);
      const resumed = bit([...args, '--resume']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(JSON.parse(resumed.stdout).resumedFrom).toBe(12);

      const ev = bit([
        'eval',
        '--model',
        out,
        '--data',
        FASHION,
        '--split',
        'test',
        '--resolution',
        '16',
        '--backend',
        'wasm',
        '--json',
      ]);
      expect(ev.code, ev.stderr).toBe(0);
      expect(JSON.parse(ev.stdout).count).toBe(5000);
    },
  );
});
