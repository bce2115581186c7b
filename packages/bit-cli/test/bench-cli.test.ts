/**
 * `bit bench`'s analysis: the FLOP count of a known network, GFLOP/s against the raw conv
 * rate, memory and the time breakdown present and consistent; and `npm run bench`'s harness
 * writes its tables between the markers, replacing them on a rerun.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bit } from './helpers';

const ROOT = join(__dirname, '..', '..', '..');

describe('bit bench', () => {
  it('counts R50x1 at 224 px as ~8.2 GFLOPs per image (4.1 G multiply-adds, the published figure)', () => {
    const r = bit([
      'bench',
      '--model',
      'R50x1',
      '--image-size',
      '224',
      '--batch',
      '1',
      '--iterations',
      '1',
      '--warmup',
      '0',
      '--backend',
      'wasm',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.gflopsPerImage).toBeGreaterThan(8.0);
    expect(out.gflopsPerImage).toBeLessThan(8.4);
    expect(out.rawConvGflops).toBeGreaterThan(0);
    expect(out.achievedGflops).toBeCloseTo(out.gflopsPerImage / out.secondsPerIteration, 6);
    expect(out.convEfficiency).toBeCloseTo(out.achievedGflops / out.rawConvGflops, 6);
    expect(out.peakTensorBytes).toBeGreaterThanOrEqual(out.tensorBytes);
    // The weights alone: 25.5M float32 parameters.
    expect(out.tensorBytes).toBeGreaterThan(25.5e6 * 4);
    expect(out.maxRssBytes).toBeGreaterThan(out.tensorBytes);
  });

  it('--breakdown on a training step: shares of each component, glue the rest', () => {
    const r = bit([
      'bench',
      '--model',
      'R50x0.5',
      '--image-size',
      '32',
      '--batch',
      '2',
      '--mode',
      'train',
      '--iterations',
      '1',
      '--backend',
      'cpu',
      '--breakdown',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const { breakdown: b, ...out } = JSON.parse(r.stdout);
    for (const k of ['conv', 'groupNorm', 'standardization'] as const) {
      expect(b[k]).toBeGreaterThan(0);
    }
    expect(b.conv + b.groupNorm + b.standardization + b.glue).toBeCloseTo(1, 9);
    // A training step is counted as 3 forward passes.
    expect(out.achievedGflops).toBeCloseTo(
      (3 * out.gflopsPerImage * 2) / out.secondsPerIteration,
      6,
    );
  });

  it('--batch-split: train mode only, at most --batch (exit 2 naming it); a split step runs and is reported', () => {
    for (const [args, message] of [
      [['--batch-split', '2'], /--batch-split applies to --mode train only/],
      [
        ['--mode', 'train', '--batch', '4', '--batch-split', '5'],
        /--batch-split \(5\) must not exceed --batch \(4\)/,
      ],
      [['--mode', 'train', '--batch-split', '0'], /--batch-split must be an integer/],
    ] as const) {
      const r = bit(['bench', '--model', 'R50x0.5', '--image-size', '32', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const r = bit([
      'bench',
      '--model',
      'R50x0.5',
      '--image-size',
      '32',
      '--batch',
      '3',
      '--batch-split',
      '2',
      '--mode',
      'train',
      '--iterations',
      '1',
      '--warmup',
      '0',
      '--skip-analysis',
      '--backend',
      'wasm',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ mode: 'train', batch: 3, batchSplit: 2 });
    expect(out.imagesPerSecond).toBeCloseTo(3 / out.secondsPerIteration, 9);
  });
});

describe('npm run bench (harness)', () => {
  it('writes the tables between the markers, and a rerun replaces them', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bit-bench-')), 'BENCH.md');
    writeFileSync(out, '# Benchmarks\n\nkept text\n');
    const run = () =>
      spawnSync(
        process.execPath,
        [join(ROOT, 'bench/run.mjs'), '--quick', '--sections', 'load', '--out', out],
        {
          encoding: 'utf8',
          timeout: 300_000,
        },
      );
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    const second = run();
    expect(second.status, second.stderr).toBe(0);
    const doc = readFileSync(out, 'utf8');
    expect(doc).toContain('kept text');
    expect(doc.match(/<!-- bench:start -->/g)).toHaveLength(1);
    const row = doc.split('\n').find((l) => l.startsWith('| R50x0.5 |'));
    expect(row, doc).toBeDefined();
    const cells = row!.split('|').map((c) => c.trim());
    expect(cells[2]).toMatch(/^\d+(\.\d+)? MiB$/); // file size
    expect(Number(cells[5])).toBeGreaterThan(0); // MiB/s
  });
});
