/**
 * Runs the independent ONNX check (check.ts): `bit convert --format onnx`, plain onnxruntime-node
 * at its default optimisation level, float64 references; every error below 1e-4.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('independent ONNX check', () => {
  it('fixtures and an R50x1 match their float64 references in plain onnxruntime', () => {
    const r = spawnSync(process.execPath, [join(__dirname, 'run.mjs')], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { model: string; relL2: number; ok: boolean });
    expect(lines.length).toBe(14);
    expect(lines.map((l) => l.model)).toContain('R50x1 2x32x32x3');
    for (const l of lines) expect(l.relL2, l.model).toBeLessThan(1e-4);
  }, 300_000);
});
