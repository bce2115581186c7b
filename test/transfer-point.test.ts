/**
 * bench/transfer-point on a tiny budget (the fast CI version of the transfer experiment): each
 * arm runs, prints its top-1 as a fraction on the last line, and a rerun gives the same value.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const FASHION = '/usr/share/datasets/fashion-mnist';
const POINT = join(__dirname, '..', 'bench', 'transfer-point');

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
