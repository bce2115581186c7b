import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, tf, useBackend } from '../../../test-utils/backends';
import {
  ChannelGroupsError,
  groupNorm,
  groupNormalization,
  ParameterShapeError,
  RankError,
} from '../src/index';
import {
  dot,
  finiteDifferenceGradient,
  randomNormal,
  refGroupNorm,
  relL2,
  sizeOf,
} from './reference';

const CASES: { shape: number[]; groups: number; mean: number; std: number }[] = [
  { shape: [3, 64], groups: 32, mean: 0, std: 1 },
  { shape: [2, 40, 16], groups: 4, mean: 10, std: 0.1 },
  { shape: [2, 9, 7, 64], groups: 32, mean: 0.5, std: 2 },
  { shape: [1, 56, 56, 64], groups: 32, mean: 10, std: 0.1 },
  { shape: [2, 33, 31, 8], groups: 1, mean: 3, std: 1 },
  { shape: [1, 4, 10, 12, 16], groups: 4, mean: -5, std: 0.5 },
];

for (const backend of BACKENDS) {
  describe(`groupNorm on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    it.each(CASES)('matches the float64 reference: %o', ({ shape, groups, mean, std }) => {
      const c = shape[shape.length - 1];
      const xs = randomNormal(sizeOf(shape), 1 + shape.length, mean, std);
      const gamma = randomNormal(c, 2, 1, 0.5);
      const beta = randomNormal(c, 3, 0, 1);
      const x = tf.tensor(xs, shape);
      const g = tf.tensor1d(gamma);
      const b = tf.tensor1d(beta);
      const y = groupNorm(x, g, b, { groups });
      const plain = groupNorm(x, null, undefined, { groups });
      expect(y.shape).toEqual(shape);
      expect(relL2(y.dataSync(), refGroupNorm(xs, shape, groups, 1e-5, gamma, beta))).toBeLessThan(
        1e-5,
      );
      expect(relL2(plain.dataSync(), refGroupNorm(xs, shape, groups, 1e-5))).toBeLessThan(1e-5);
      tf.dispose([x, g, b, y, plain]);
    });

    it('gradients wrt x, gamma and beta match float64 finite differences', () => {
      const shape = [2, 3, 2, 4];
      const groups = 2;
      const c = 4;
      const xs = randomNormal(sizeOf(shape), 21, 0.3, 1.5);
      const gamma = randomNormal(c, 22, 1, 0.3);
      const beta = randomNormal(c, 23);
      const r = randomNormal(sizeOf(shape), 24);
      const loss = (xv: ArrayLike<number>, gv: ArrayLike<number>, bv: ArrayLike<number>) =>
        dot(r, refGroupNorm(xv, shape, groups, 1e-5, gv, bv));
      const x = tf.tensor(xs, shape);
      const g = tf.tensor1d(gamma);
      const b = tf.tensor1d(beta);
      const proj = tf.tensor(r, shape);
      const grads = tf.grads((xt: tf.Tensor, gt: tf.Tensor, bt: tf.Tensor) =>
        tf.sum(tf.mul(proj, groupNorm(xt, gt, bt, { groups }))),
      )([x, g, b]);
      const fdX = finiteDifferenceGradient((v) => loss(v, gamma, beta), xs);
      const fdG = finiteDifferenceGradient((v) => loss(xs, v, beta), gamma);
      const fdB = finiteDifferenceGradient((v) => loss(xs, gamma, v), beta);
      expect(relL2(grads[0].dataSync(), fdX)).toBeLessThan(1e-3);
      expect(relL2(grads[1].dataSync(), fdG)).toBeLessThan(1e-3);
      expect(relL2(grads[2].dataSync(), fdB)).toBeLessThan(1e-3);
      tf.dispose([x, g, b, proj, ...grads]);
    });

    it('throws typed errors for bad groups, ranks and parameter shapes', () => {
      const x = tf.zeros([1, 4, 4, 30]);
      expect(() => groupNorm(x, null, null, { groups: 4 })).toThrow(ChannelGroupsError);
      expect(() => groupNorm(x, null, null, { groups: 4 })).toThrow(
        /channels \(30\).*groups \(4\)/,
      );
      const v = tf.zeros([30]);
      expect(() => groupNorm(v)).toThrow(RankError);
      const r6 = tf.zeros([1, 1, 1, 1, 1, 32]);
      expect(() => groupNorm(r6)).toThrow(/rank 2 to 5/);
      const g = tf.ones([15]);
      expect(() => groupNorm(x, g, null, { groups: 3 })).toThrow(ParameterShapeError);
      expect(() => groupNorm(x, null, g, { groups: 3 })).toThrow(/beta must have shape \[30\]/);
      const layer = groupNormalization({ groups: 4 });
      expect(() => layer.apply(x)).toThrow(ChannelGroupsError);
      tf.dispose([x, v, r6, g]);
    });

    it('does not leak tensors', () => {
      const x = tf.tensor(randomNormal(2 * 6 * 6 * 32, 5), [2, 6, 6, 32]);
      const g = tf.ones([32]);
      const layer = groupNormalization({ groups: 8 });
      tf.dispose(layer.apply(x) as tf.Tensor);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        tf.dispose(groupNorm(x, g, null, { groups: 8 }));
        tf.dispose(layer.apply(x) as tf.Tensor);
        tf.dispose(tf.grad((t: tf.Tensor) => tf.sum(groupNorm(t, g, null, { groups: 8 })))(x));
      }
      expect(tf.memory().numTensors).toBe(before);
      layer.dispose();
      tf.dispose([x, g]);
    });
  });
}
