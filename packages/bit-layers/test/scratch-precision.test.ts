import { it } from 'vitest';
import { useBackend, tf } from '../../../test-utils/backends';
import { groupNorm } from '../src/ops/group-norm';
import { standardizeKernel, standardizeKernelData } from '../src/ops/standardize-kernel';

function rand(n: number, mean: number, std: number, seed: number) {
  let s = seed >>> 0;
  const r = () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) { const u = r() + 1e-12, v = r(); a[i] = mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v); }
  return a;
}
function refGN(x: Float32Array, shape: number[], G: number, eps: number) {
  const N = shape[0], C = shape[shape.length - 1], S = x.length / N / C, Cg = C / G;
  const y = new Float64Array(x.length);
  for (let n = 0; n < N; n++) for (let g = 0; g < G; g++) {
    let m = 0; const cnt = S * Cg;
    for (let s = 0; s < S; s++) for (let c = 0; c < Cg; c++) m += x[(n * S + s) * C + g * Cg + c];
    m /= cnt; let v = 0;
    for (let s = 0; s < S; s++) for (let c = 0; c < Cg; c++) { const d = x[(n * S + s) * C + g * Cg + c] - m; v += d * d; }
    v /= cnt; const inv = 1 / Math.sqrt(v + eps);
    for (let s = 0; s < S; s++) for (let c = 0; c < Cg; c++) { const i = (n * S + s) * C + g * Cg + c; y[i] = (x[i] - m) * inv; }
  }
  return y;
}
function relErr(a: ArrayLike<number>, b: ArrayLike<number>) { let n = 0, d = 0; for (let i = 0; i < a.length; i++) { n += (a[i] - b[i]) ** 2; d += b[i] ** 2; } return Math.sqrt(n / d); }
function naiveGN(x: tf.Tensor, G: number, eps: number) {
  return tf.tidy(() => { const [N, H, W, C] = x.shape; const r = tf.reshape(x, [N, H * W, G, C / G]); const { mean, variance } = tf.moments(r, [1, 3], true); return tf.reshape(tf.mul(tf.sub(r, mean), tf.rsqrt(tf.add(variance, eps))), x.shape); });
}
function naiveWS(k: tf.Tensor, eps: number) {
  return tf.tidy(() => { const { mean, variance } = tf.moments(k, [0, 1, 2], true); return tf.mul(tf.sub(k, mean), tf.rsqrt(tf.add(variance, eps))); });
}
it('precision', async () => {
  for (const be of ['cpu', 'wasm'] as const) {
    await useBackend(be);
    for (const [shape, mean, std] of [[[1, 56, 56, 64], 0, 1], [[1, 56, 56, 256], 1, 1], [[2, 56, 56, 256], 10, 0.1], [[1, 28, 28, 512], 0.5, 1], [[1, 112, 112, 64], 3, 1]] as [number[], number, number][]) {
      const n = shape.reduce((a, b) => a * b);
      const xa = rand(n, mean, std, 7);
      const x = tf.tensor(xa, shape);
      const ref = refGN(xa, shape, 32, 1e-5);
      const y1 = naiveGN(x, 32, 1e-5), y2 = groupNorm(x, null, null);
      console.log(be, 'GN', shape.join('x'), mean, std, 'naive', relErr(y1.dataSync(), ref).toExponential(2), 'centred', relErr(y2.dataSync(), ref).toExponential(2));
      tf.dispose([x, y1, y2]);
    }
    for (const [shape, mean, std] of [[[3, 3, 512, 512], 0, 0.01], [[1, 1, 2048, 512], 0.001, 0.01], [[7, 7, 3, 64], 0.1, 0.05], [[3, 3, 256, 256], 0.02, 0.01]] as [number[], number, number][]) {
      const n = shape.reduce((a, b) => a * b);
      const ka = rand(n, mean, std, 11);
      const k = tf.tensor(ka, shape);
      const ref = Float64Array.from(standardizeKernelData(ka, shape));
      const y1 = naiveWS(k, 1e-10), y2 = standardizeKernel(k);
      console.log(be, 'WS', shape.join('x'), mean, std, 'naive', relErr(y1.dataSync(), ref).toExponential(2), 'centred', relErr(y2.dataSync(), ref).toExponential(2));
      tf.dispose([k, y1, y2]);
    }
  }
});
