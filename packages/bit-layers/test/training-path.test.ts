/**
 * The training path of GroupNorm and Weight Standardisation (statistics from
 * two-level average pools, analytic gradients) on sizes where the row means
 * pool in two levels and with a tail of rows, against float64 references.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, tf, useBackend } from '../../../test-utils/backends';
import { groupNorm, standardizeKernel } from '../src/index';
import { meanOverRows, rowBlockSize } from '../src/ops/row-means';
import { dot, randomNormal, refGroupNorm, refStandardize, relL2, sizeOf } from './reference';

/** GroupNorm cases: rows S = prod(spatial) > 64 (two levels), some with no divisor near sqrt(S). */
const GN_CASES: { shape: number[]; groups: number; mean: number; std: number }[] = [
  { shape: [2, 67, 8], groups: 2, mean: 10, std: 0.1 }, // S = 67, prime: 8 blocks of 8 + 3 rows
  { shape: [1, 1009, 4], groups: 1, mean: -3, std: 0.05 }, // S = 1009, prime
  { shape: [2, 48, 50, 32], groups: 8, mean: 10, std: 0.1 }, // S = 2400 = 48 x 50
  { shape: [3, 7, 7, 64], groups: 32, mean: 0.5, std: 2 }, // S = 49, one level
];

/** Weight Standardisation cases: K = kh * kw * cin rows. */
const WS_CASES: { shape: number[]; mean: number; std: number }[] = [
  { shape: [3, 3, 512, 16], mean: 10, std: 0.1 }, // K = 4608
  { shape: [1, 1, 1009, 8], mean: 0.01, std: 0.02 }, // K = 1009, prime
  { shape: [2053, 4], mean: 0.5, std: 0.01 }, // dense, K = 2053, prime
];

/**
 * Directional derivatives `<grad, u_i>` of a float64 function by central
 * differences, for a few random directions `u_i`: cheap on large inputs.
 */
function directionalDerivatives(
  f: (v: Float64Array) => number,
  at: ArrayLike<number>,
  directions: Float32Array[],
  h = 1e-4,
): number[] {
  return directions.map((u) => {
    const up = Float64Array.from(at, (v, i) => v + h * u[i]);
    const down = Float64Array.from(at, (v, i) => v - h * u[i]);
    return (f(up) - f(down)) / (2 * h);
  });
}

describe('row-mean helpers', () => {
  it('picks a divisor near sqrt(rows), else round(sqrt(rows))', () => {
    expect(rowBlockSize(4608)).toBe(64);
    expect(rowBlockSize(2400)).toBe(48);
    expect(rowBlockSize(67)).toBe(8);
    expect(rowBlockSize(1009)).toBe(32);
  });
});

for (const backend of BACKENDS) {
  describe(`training path on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    it('meanOverRows matches float64 means, with and without a tail', () => {
      for (const [n, s, c] of [
        [2, 5, 3],
        [2, 67, 3],
        [1, 1009, 5],
        [3, 4608, 2],
      ]) {
        const xs = randomNormal(n * s * c, s, 10, 0.1);
        const x = tf.tensor3d(xs, [n, s, c]);
        const m = meanOverRows(x);
        const ref = new Float64Array(n * c);
        for (let b = 0; b < n; b++)
          for (let r = 0; r < s; r++)
            for (let k = 0; k < c; k++) ref[b * c + k] += xs[(b * s + r) * c + k] / s;
        expect(m.shape).toEqual([n, 1, c]);
        expect(relL2(m.dataSync(), ref)).toBeLessThan(2e-7);
        tf.dispose([x, m]);
      }
    });

    it.each(GN_CASES)('groupNorm matches float64: %o', ({ shape, groups, mean, std }) => {
      const c = shape[shape.length - 1];
      const xs = randomNormal(sizeOf(shape), shape[1] + 11, mean, std);
      const gamma = randomNormal(c, 5, 1, 0.5);
      const beta = randomNormal(c, 6);
      const x = tf.tensor(xs, shape);
      const g = tf.tensor1d(gamma);
      const b = tf.tensor1d(beta);
      const y = groupNorm(x, g, b, { groups });
      expect(relL2(y.dataSync(), refGroupNorm(xs, shape, groups, 1e-5, gamma, beta))).toBeLessThan(
        1e-5,
      );
      tf.dispose([x, g, b, y]);
    });

    it.each(WS_CASES)('standardizeKernel matches float64: %o', ({ shape, mean, std }) => {
      const k = randomNormal(sizeOf(shape), shape[0] + 13, mean, std);
      const t = tf.tensor(k, shape);
      const y = standardizeKernel(t);
      expect(relL2(y.dataSync(), refStandardize(k, shape, 1e-10))).toBeLessThan(1e-5);
      tf.dispose([t, y]);
    });

    it('groupNorm gradients (two-level rows with a tail) match float64 directional differences', () => {
      const shape = [2, 67, 8];
      const groups = 2;
      const c = 8;
      const xs = randomNormal(sizeOf(shape), 41, 0.3, 1.5);
      const gamma = randomNormal(c, 42, 1, 0.3);
      const beta = randomNormal(c, 43);
      const r = randomNormal(sizeOf(shape), 44);
      const loss = (xv: ArrayLike<number>, gv: ArrayLike<number>, bv: ArrayLike<number>) =>
        dot(r, refGroupNorm(xv, shape, groups, 1e-5, gv, bv));
      const x = tf.tensor(xs, shape);
      const g = tf.tensor1d(gamma);
      const b = tf.tensor1d(beta);
      const proj = tf.tensor(r, shape);
      const [gx, gg, gb] = tf.grads((xt: tf.Tensor, gt: tf.Tensor, bt: tf.Tensor) =>
        tf.sum(tf.mul(proj, groupNorm(xt, gt, bt, { groups }))),
      )([x, g, b]);
      const dirsX = [51, 52, 53, 54].map((s) => randomNormal(sizeOf(shape), s));
      const fdX = directionalDerivatives((v) => loss(v, gamma, beta), xs, dirsX);
      const gxv = gx.dataSync();
      expect(
        relL2(
          dirsX.map((u) => dot(u, gxv)),
          fdX,
        ),
      ).toBeLessThan(1e-3);
      // gamma and beta are small: compare every component.
      const dirsC = Array.from({ length: c }, (_, i) =>
        Float32Array.from({ length: c }, (_, j) => (i === j ? 1 : 0)),
      );
      const fdG = directionalDerivatives((v) => loss(xs, v, beta), gamma, dirsC);
      const fdB = directionalDerivatives((v) => loss(xs, gamma, v), beta, dirsC);
      expect(relL2(gg.dataSync(), fdG)).toBeLessThan(1e-3);
      expect(relL2(gb.dataSync(), fdB)).toBeLessThan(1e-3);
      tf.dispose([x, g, b, proj, gx, gg, gb]);
    });

    it('standardizeKernel gradient (prime K, tail rows) matches float64 directional differences', () => {
      const shape = [1, 1, 1009, 3];
      const k = randomNormal(sizeOf(shape), 61, 0.05, 0.2);
      const r = randomNormal(sizeOf(shape), 62);
      const t = tf.tensor(k, shape);
      const proj = tf.tensor(r, shape);
      const grad = tf.grad((kt: tf.Tensor) => tf.sum(tf.mul(proj, standardizeKernel(kt))))(t);
      const dirs = [71, 72, 73, 74].map((s) => randomNormal(sizeOf(shape), s));
      const fd = directionalDerivatives(
        (v) => dot(r, refStandardize(v, shape, 1e-10)),
        k,
        dirs,
        1e-5,
      );
      const gv = grad.dataSync();
      expect(
        relL2(
          dirs.map((u) => dot(u, gv)),
          fd,
        ),
      ).toBeLessThan(1e-3);
      tf.dispose([t, proj, grad]);
    });

    it('constant groups and kernels give finite values and gradients', () => {
      const x = tf.fill([2, 9, 9, 8], 3);
      const kernel = tf.zeros([3, 3, 8, 4]);
      const [gx] = tf.grads((xt: tf.Tensor) =>
        tf.sum(tf.square(groupNorm(xt, null, null, { groups: 2 }))),
      )([x]);
      const gk = tf.grad((kt: tf.Tensor) => tf.sum(standardizeKernel(kt)))(kernel);
      const y = groupNorm(x, null, null, { groups: 2 });
      const w = standardizeKernel(kernel);
      for (const t of [gx, gk, y, w])
        expect(Array.from(t.dataSync()).every(Number.isFinite)).toBe(true);
      expect(Math.max(...Array.from(y.dataSync(), Math.abs))).toBe(0);
      tf.dispose([x, kernel, gx, gk, y, w]);
    });

    it('does not leak tensors (forward and gradients, tail rows)', () => {
      const x = tf.tensor(randomNormal(2 * 67 * 8, 81), [2, 67, 8]);
      const g = tf.ones([8]);
      const b = tf.zeros([8]);
      const kernel = tf.tensor(randomNormal(1009 * 3, 82), [1, 1, 1009, 3]);
      const run = () => {
        tf.dispose(groupNorm(x, g, b, { groups: 4 }));
        tf.dispose(
          tf.grads((xt: tf.Tensor, gt: tf.Tensor) => tf.sum(groupNorm(xt, gt, b, { groups: 4 })))([
            x,
            g,
          ]),
        );
        tf.dispose(tf.grad((kt: tf.Tensor) => tf.sum(tf.square(standardizeKernel(kt))))(kernel));
      };
      run();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) run();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, g, b, kernel]);
    });
  });
}
