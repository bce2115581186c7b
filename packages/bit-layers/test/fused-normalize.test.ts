/**
 * The fused GroupNorm kernels (cpu): used there and only there, equal to the composed tfjs ops
 * forward and backward (gamma/beta present or not, one or several samples, one channel per
 * group as in weight standardisation), no leaks, and the composed path when unregistered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../../test-utils/backends';
import { groupNorm, standardizeKernel } from '../src/index';
import { composedNormalizeGroups, normalizeGroups } from '../src/ops/normalize-groups';
import { hasHybridGroupNorm, hybridNormalizeGroups } from '../src/ops/hybrid-normalize';
import {
  GROUP_NORM_GRAD_KERNEL,
  GROUP_NORM_KERNEL,
  hasFusedGroupNorm,
} from '../src/ops/fused-normalize';
import { randomNormal, refGroupNorm, refStandardize, relL2, sizeOf } from './reference';

const CASES = [
  { shape: [1, 49, 64], groups: 32, affine: true },
  { shape: [3, 20, 16], groups: 4, affine: false },
  { shape: [2, 9, 8], groups: 8, affine: true }, // one channel per group
  { shape: [1, 4608, 12], groups: 12, affine: false }, // a 3x3x512x12 kernel's standardisation
];

type Run = (
  x: tf.Tensor3D,
  groups: number,
  eps: number,
  g: tf.Tensor | null,
  b: tf.Tensor | null,
) => tf.Tensor3D;

/** y and the gradients wrt x, gamma, beta for an upstream gradient r. */
function valueAndGrads(run: Run, c: (typeof CASES)[number], seed: number) {
  const [, , ch] = c.shape;
  const x = tf.tensor3d(randomNormal(sizeOf(c.shape), seed, 2, 0.5), c.shape as never);
  const g = c.affine ? tf.tensor1d(randomNormal(ch, seed + 1, 1, 0.3)) : null;
  const b = c.affine ? tf.tensor1d(randomNormal(ch, seed + 2)) : null;
  const r = tf.tensor3d(randomNormal(sizeOf(c.shape), seed + 3), c.shape as never);
  const xs = [x, ...(g ? [g, b!] : [])];
  const f = (...t: tf.Tensor[]) =>
    run(t[0] as tf.Tensor3D, c.groups, 1e-5, t[1] ?? null, t[2] ?? null);
  const y = f(...xs);
  const grads = tf.grads(f)(xs, r);
  const out = [y, ...grads].map((t) => t.dataSync().slice());
  tf.dispose([x, r, y, ...grads, ...(g ? [g, b!] : [])]);
  return out;
}

/** `run` equals the composed ops forward and backward, and float64 forward. */
function expectMatchesComposed(run: Run, c: (typeof CASES)[number], seed: number): void {
  const got = valueAndGrads(run, c, seed);
  const composed = valueAndGrads(composedNormalizeGroups, c, seed);
  expect(got.length).toBe(composed.length);
  for (let i = 0; i < got.length; i++) expect(relL2(got[i], composed[i])).toBeLessThan(1e-5);
  const x = randomNormal(sizeOf(c.shape), seed, 2, 0.5);
  const gamma = c.affine ? randomNormal(c.shape[2], seed + 1, 1, 0.3) : undefined;
  const beta = c.affine ? randomNormal(c.shape[2], seed + 2) : undefined;
  expect(relL2(got[0], refGroupNorm(x, c.shape, c.groups, 1e-5, gamma, beta))).toBeLessThan(1e-6);
}

/** groupNorm on the active backend leaves no tensor behind, forward or through gradients. */
function expectNoLeaks(): void {
  const x = tf.randomNormal([2, 5, 5, 8]);
  const g = tf.ones([8]);
  const b = tf.zeros([8]);
  const before = tf.memory().numTensors;
  tf.dispose(groupNorm(x, g, b, { groups: 4 }));
  for (let i = 0; i < 3; i++) {
    const grads = tf.grads((a: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) =>
      groupNorm(a, gg, bb, { groups: 4 }),
    )([x, g, b]);
    tf.dispose(grads);
  }
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([x, g, b]);
}

describe('fused GroupNorm kernels', () => {
  beforeAll(() => useBackend('cpu'));
  afterAll(() => {
    // Leave them registered for the other tests in this worker.
    expect(tf.getKernel(GROUP_NORM_KERNEL, 'cpu')).toBeDefined();
  });

  it('run on cpu, not on wasm', async () => {
    await useBackend('cpu');
    expect(hasFusedGroupNorm()).toBe(true);
    await useBackend('wasm');
    expect(hasFusedGroupNorm()).toBe(false);
    await useBackend('cpu');
  });

  it.each(CASES)('equal the composed ops forward and backward: %o', (c) =>
    expectMatchesComposed(normalizeGroups, c, 7),
  );

  it('standardizeKernel goes through them and matches float64', () => {
    const shape = [3, 3, 16, 8];
    const w = randomNormal(sizeOf(shape), 31, 10, 0.1);
    const k = tf.tensor4d(w, shape as never);
    const s = standardizeKernel(k);
    expect(relL2(s.dataSync(), refStandardize(w, shape, 1e-10))).toBeLessThan(1e-6);
    tf.dispose([k, s]);
  });

  it('leak no tensors, forward or through a gradient', expectNoLeaks);

  it('give way to the composed ops when unregistered', () => {
    const kernels = [GROUP_NORM_KERNEL, GROUP_NORM_GRAD_KERNEL].map((n) => tf.getKernel(n, 'cpu'));
    for (const k of kernels) tf.unregisterKernel(k.kernelName, 'cpu');
    try {
      expect(hasFusedGroupNorm()).toBe(false);
      const x = tf.randomNormal([1, 4, 4, 8]);
      const y = groupNorm(x, null, null, { groups: 2 });
      expect(y.shape).toEqual([1, 4, 4, 8]);
      tf.dispose([x, y]);
    } finally {
      for (const k of kernels) tf.registerKernel(k);
    }
    expect(hasFusedGroupNorm()).toBe(true);
  });
});

describe('hybrid GroupNorm (wasm: passes on the backend, statistics in JS)', () => {
  beforeAll(() => useBackend('wasm'));

  it('is the path on wasm only', async () => {
    expect(hasHybridGroupNorm()).toBe(true);
    await useBackend('cpu');
    expect(hasHybridGroupNorm()).toBe(false);
    await useBackend('wasm');
  });

  it.each(CASES)('equals the composed ops forward and backward: %o', (c) =>
    expectMatchesComposed(hybridNormalizeGroups, c, 11),
  );

  it('leaks no tensors, forward or through a gradient', expectNoLeaks);
});
