import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, tf, useBackend } from '../../../test-utils/backends';
import {
  ParameterShapeError,
  RankError,
  standardizeKernel,
  standardizeKernelData,
} from '../src/index';
import {
  dot,
  finiteDifferenceGradient,
  randomNormal,
  refStandardize,
  relL2,
  sizeOf,
} from './reference';

const SHAPES: { shape: number[]; mean: number; std: number }[] = [
  { shape: [3, 3, 64, 128], mean: 0.01, std: 0.02 },
  { shape: [7, 7, 3, 64], mean: 0.1, std: 0.05 },
  { shape: [1, 1, 256, 64], mean: 0, std: 0.01 },
  { shape: [512, 10], mean: 0.5, std: 0.01 },
];

describe('standardizeKernelData (float64 in JS)', () => {
  it('matches the float64 reference to float32 rounding', () => {
    for (const { shape, mean, std } of SHAPES) {
      const k = randomNormal(sizeOf(shape), shape[0] + 7, mean, std);
      const y = standardizeKernelData(k, shape);
      expect(y).toBeInstanceOf(Float32Array);
      expect(relL2(y, refStandardize(k, shape, 1e-10))).toBeLessThan(1e-7);
    }
  });

  it('rejects other ranks and mismatched lengths', () => {
    expect(() => standardizeKernelData(new Float32Array(24), [2, 3, 4])).toThrow(RankError);
    expect(() => standardizeKernelData(new Float32Array(10), [1, 1, 2, 4])).toThrow(
      ParameterShapeError,
    );
  });
});

for (const backend of BACKENDS) {
  describe(`standardizeKernel on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    it.each(SHAPES)('matches the float64 reference: %o', ({ shape, mean, std }) => {
      const k = randomNormal(sizeOf(shape), shape[1] + 3, mean, std);
      const t = tf.tensor(k, shape);
      const y = standardizeKernel(t);
      expect(y.shape).toEqual(shape);
      expect(relL2(y.dataSync(), refStandardize(k, shape, 1e-10))).toBeLessThan(1e-5);
      tf.dispose([t, y]);
    });

    it('gradient matches float64 finite differences', () => {
      const shape = [2, 2, 3, 4];
      const k = randomNormal(sizeOf(shape), 31, 0.2, 0.5);
      const r = randomNormal(sizeOf(shape), 32);
      const t = tf.tensor(k, shape);
      const proj = tf.tensor(r, shape);
      const g = tf.grad((w: tf.Tensor) => tf.sum(tf.mul(proj, standardizeKernel(w, 1e-10))))(t);
      const fd = finiteDifferenceGradient((v) => dot(r, refStandardize(v, shape, 1e-10)), k, 1e-6);
      expect(relL2(g.dataSync(), fd)).toBeLessThan(1e-3);
      tf.dispose([t, proj, g]);
    });

    it('rejects kernels that are not rank 4 (or rank 2)', () => {
      const k = tf.zeros([3, 3, 8]);
      expect(() => standardizeKernel(k)).toThrow(RankError);
      expect(() => standardizeKernel(k)).toThrow(/rank 4/);
      k.dispose();
    });

    it('does not leak tensors', () => {
      const t = tf.tensor(randomNormal(3 * 3 * 16 * 8, 4), [3, 3, 16, 8]);
      tf.dispose(standardizeKernel(t));
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) tf.dispose(standardizeKernel(t));
      expect(tf.memory().numTensors).toBe(before);
      t.dispose();
    });
  });
}
