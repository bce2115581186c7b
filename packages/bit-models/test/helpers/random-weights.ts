/**
 * Random checkpoints in the official layout for the tests (seeded): kernels N(0, 1) (they are
 * standardised anyway), GroupNorm near identity, a small head.
 */
import {
  checkpointLayout,
  float16ToFloat32,
  float32ToFloat16,
  type BiTArchitecture,
} from '@bit/models';
import type { Weights } from './reference-resnet';

export function gaussian(seed: number) {
  let s = seed >>> 0;
  const u = () => ((s = (s * 1664525 + 1013904223) >>> 0) + 1) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Random weights in the official layout (kernels N(0,1) — standardised anyway; GN near identity). */
export function randomWeights(arch: BiTArchitecture, seed: number, f16: boolean): Weights {
  const g = gaussian(seed);
  const out: Weights = new Map();
  for (const e of checkpointLayout(arch)) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    let data: Float32Array = new Float32Array(n);
    const role = e.name.split('/').pop();
    for (let i = 0; i < n; i++) {
      const z = g();
      data[i] =
        role === 'gamma'
          ? 1 + 0.2 * z
          : role === 'beta'
            ? 0.2 * z
            : e.name.includes('head')
              ? 0.05 * z
              : z;
    }
    // A float16 checkpoint holds float16 values: the reference uses exactly those.
    if (f16) data = float16ToFloat32(float32ToFloat16(data));
    out.set(e.name, { shape: e.shape, data });
  }
  return out;
}
