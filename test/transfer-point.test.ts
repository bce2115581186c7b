/**
 * bench/transfer-point on a tiny budget (the fast CI version of the transfer experiment): each
 * arm runs, prints its top-1 as a fraction on the last line, and a rerun gives the same value.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: an untyped .mjs module of the benchmark scripts
import { nearestClassMean } from '../bench/transfer/probe.mjs';

const FASHION = '/usr/share/datasets/fashion-mnist';
const POINT = join(__dirname, '..', 'bench', 'transfer-point');
const PROBE = join(__dirname, '..', 'bench', 'transfer-probe');

function point(mode: string, extra: string[] = []) {
  const r = spawnSync(
    process.execPath,
    [
      POINT,
      '--mode',
      mode,
      '--examples-per-class',
      '2',
      '--seed',
      '1',
      '--steps',
      '6',
      '--batch',
      '8',
      '--eval-limit',
      '60',
      ...extra,
    ],
    { encoding: 'utf8', timeout: 300_000 },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!existsSync(FASHION))('bench/transfer-point (tiny budget)', () => {
  it('runs each arm and prints top-1 as its last line; a rerun is identical', () => {
    const seen: Record<string, number> = {};
    for (const mode of ['bit', 'scratch', 'linear']) {
      const r = point(mode, ['--json']);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      const top1 = Number(lines[lines.length - 1]);
      expect(top1).toBeGreaterThanOrEqual(0);
      expect(top1).toBeLessThanOrEqual(1);
      const json = JSON.parse(lines[lines.length - 2]);
      expect(json).toMatchObject({
        mode,
        examplesPerClass: 2,
        seed: 1,
        steps: 6,
        evalCount: 60,
        top1,
      });
      seen[mode] = top1;
    }
    const again = point('bit');
    expect(again.code, again.stderr).toBe(0);
    expect(Number(again.stdout.trim().split('\n').pop())).toBe(seen.bit);
  });

  it('refuses bad flags with exit 2', () => {
    const r = spawnSync(process.execPath, [POINT, '--mode', 'nope', '--examples-per-class', '1'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--mode must be one of/);
  });
});

describe('nearestClassMean (the transfer probe)', () => {
  it('assigns each test vector to the nearest mean of the normalised training vectors', () => {
    // Two classes along two directions; lengths differ (normalisation removes them).
    const train = { x: Float64Array.from([2, 0, 10, 1, 0, 3, 1, 5]), y: [0, 0, 1, 1] };
    const test = { x: Float64Array.from([5, 1, 1, 4, 1, 1.2, 3, 0]), y: [0, 1, 1, 1] };
    // Means of the normalised rows: class 0 ~ (0.998, 0.05), class 1 ~ (0.1, 0.99); the third
    // test row (1, 1.2) is nearer class 1; the fourth (3, 0), labelled 1, goes to class 0.
    expect(nearestClassMean(train, test, 2, 2)).toBe(0.75);
    expect(() => nearestClassMean(train, test, 2, 3)).toThrow(/no training example of class 2/);
  });
});

describe.skipIf(!existsSync(FASHION))('bench/transfer-probe (tiny)', () => {
  it('writes nearest-class-mean top-1 for pixels, random and upstream features', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bit-probe-'));
    try {
      const out = join(dir, 'probe.json');
      const r = spawnSync(
        process.execPath,
        [PROBE, '--seeds', '0', '--examples-per-class', '1,2', '--eval-limit', '50', '--out', out],
        { encoding: 'utf8', timeout: 300_000 },
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^\| representation \| k=1 \| k=2 \|/);
      const doc = JSON.parse(readFileSync(out, 'utf8'));
      expect(doc.evalCount).toBe(50);
      expect(doc.points).toHaveLength(6);
      for (const p of doc.points) {
        expect(['pixels', 'random', 'upstream']).toContain(p.representation);
        // 50 test images: a multiple of 1/50, better than nothing on every representation.
        expect(Number.isInteger(Math.round(p.top1 * 50 * 1e6) / 1e6)).toBe(true);
        expect(p.top1).toBeGreaterThan(0.2);
      }
      const bad = spawnSync(process.execPath, [PROBE, '--seeds', 'x'], { encoding: 'utf8' });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/--seeds must be/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
