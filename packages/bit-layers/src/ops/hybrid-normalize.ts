/**
 * Group normalisation of `[N, S, C]` data for tfjs-backend-wasm, where reading a small tensor
 * back is synchronous and cheap: the passes over the data stay on the backend (XNNPACK average
 * pools for the row means, one subtraction, one square, one multiply-add), and the arithmetic
 * on the per-(sample, channel) statistics, a few thousand numbers, runs in float64 JavaScript.
 * Composed of tfjs ops, those statistics took about forty small kernels per GroupNorm (most of
 * a forward pass's 2,700 kernel launches on R50x1); here the forward takes about ten and the
 * backward about ten. Same centred two-pass scheme and analytic gradient as
 * `composedNormalizeGroups`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { meanOverRows } from './row-means';
import { affineCustomGrad } from './affine-custom-grad';

/** Backends on which {@link hybridNormalizeGroups} runs. */
const HYBRID_BACKENDS = ['wasm'];

/** Whether the active backend runs {@link hybridNormalizeGroups}. */
export function hasHybridGroupNorm(): boolean {
  return HYBRID_BACKENDS.includes(tf.getBackend());
}

/** Row means of the `[N, S, C]` data `f` computes, read back: `N * C` values. */
function rowMeans(f: () => tf.Tensor): Float32Array {
  const mean = tf.tidy(() => meanOverRows(f() as tf.Tensor3D));
  const values = mean.dataSync() as Float32Array;
  mean.dispose();
  return values;
}

/** Per (sample, group) means of per-(sample, channel) values `v` (`N * C`). */
function overGroups(v: ArrayLike<number>, n: number, c: number, groups: number): Float64Array {
  const size = c / groups;
  const out = new Float64Array(n * groups);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) out[b * groups + Math.floor(ch / size)] += v[b * c + ch];
  }
  for (let i = 0; i < out.length; i++) out[i] /= size;
  return out;
}

/** Per-(sample, channel) values `[N, 1, C]` (`[C]` when N is 1, to broadcast cheaply). */
function perChannel(values: Float64Array, n: number, c: number): tf.Tensor {
  const f32 = Float32Array.from(values);
  return n === 1 ? tf.tensor1d(f32) : tf.tensor3d(f32, [n, 1, c]);
}

/**
 * {@link normalizeGroups} for wasm (see the file comment); the callers validate the
 * arguments and handle empty data.
 */
export function hybridNormalizeGroups(
  x: tf.Tensor3D,
  groups: number,
  eps: number,
  gamma: tf.Tensor | null,
  beta: tf.Tensor | null,
): tf.Tensor3D {
  const [n, rows, c] = x.shape;
  const size = c / groups;
  return affineCustomGrad(x, gamma, beta, ({ x: xt, gamma: g, beta: b, save }) => {
    const gam = g == null ? null : (g.dataSync() as Float32Array);
    const bet = b == null ? null : (b.dataSync() as Float32Array);
    const group = (b: number, ch: number) => b * groups + Math.floor(ch / size);

    // m0: a first mean per group; shifted = x - m0.
    const m0 = overGroups(
      rowMeans(() => xt),
      n,
      c,
      groups,
    );
    const m0c = new Float64Array(n * c);
    for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) m0c[b * c + ch] = m0[group(b, ch)];
    const shifted = tf.tidy(() => tf.sub(xt, perChannel(m0c, n, c))) as tf.Tensor3D;
    // residual = mean(shifted), variance = mean(shifted²) - residual².
    const residual = overGroups(
      rowMeans(() => shifted),
      n,
      c,
      groups,
    );
    const meanSquare = overGroups(
      rowMeans(() => tf.square(shifted)),
      n,
      c,
      groups,
    );
    const rstd = residual.map((r, i) => 1 / Math.sqrt(Math.max(0, meanSquare[i] - r * r) + eps));
    // y = (shifted - residual) · rstd · γ + β = shifted · scale + offset.
    const scale = new Float64Array(n * c);
    const offset = new Float64Array(n * c);
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        const k = group(b, ch);
        const s = rstd[k] * (gam == null ? 1 : gam[ch]);
        scale[b * c + ch] = s;
        offset[b * c + ch] = (bet == null ? 0 : bet[ch]) - residual[k] * s;
      }
    }
    const value = tf.tidy(() =>
      tf.add(tf.mul(shifted, perChannel(scale, n, c)), perChannel(offset, n, c)),
    ) as tf.Tensor3D;
    save([shifted]);

    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const d = saved[0];
      const meanDy = rowMeans(() => dy);
      const meanDyD = rowMeans(() => tf.mul(dy, d));
      // Per sample and channel, over the rows: mean(dy·x̂), x̂ = (d - residual)·rstd.
      const meanDyXhat = new Float64Array(n * c);
      const weighted1 = new Float64Array(n * c);
      const weighted2 = new Float64Array(n * c);
      for (let b = 0; b < n; b++) {
        for (let ch = 0; ch < c; ch++) {
          const i = b * c + ch;
          const k = group(b, ch);
          meanDyXhat[i] = rstd[k] * (meanDyD[i] - residual[k] * meanDy[i]);
          const g = gam == null ? 1 : gam[ch];
          weighted1[i] = g * meanDy[i];
          weighted2[i] = g * meanDyXhat[i];
        }
      }
      const m1 = overGroups(weighted1, n, c, groups);
      const m2 = overGroups(weighted2, n, c, groups);
      // dx = r·(γ·dy − mean_g(γ·dy) − x̂·mean_g(γ·dy·x̂)) = dy·p − d·q + rest.
      const p = new Float64Array(n * c);
      const q = new Float64Array(n * c);
      const rest = new Float64Array(n * c);
      for (let b = 0; b < n; b++) {
        for (let ch = 0; ch < c; ch++) {
          const i = b * c + ch;
          const k = group(b, ch);
          const r = rstd[k];
          p[i] = r * (gam == null ? 1 : gam[ch]);
          q[i] = r * r * m2[k];
          rest[i] = q[i] * residual[k] - r * m1[k];
        }
      }
      const dx = tf.tidy(() =>
        tf.add(
          tf.sub(tf.mul(dy, perChannel(p, n, c)), tf.mul(d, perChannel(q, n, c))),
          perChannel(rest, n, c),
        ),
      );
      const grads: tf.Tensor[] = [dx];
      const sums = (v: Float64Array) => {
        const out = new Float32Array(c);
        for (let ch = 0; ch < c; ch++) {
          let s = 0;
          for (let b = 0; b < n; b++) s += v[b * c + ch];
          out[ch] = s * rows;
        }
        return tf.tensor1d(out);
      };
      if (gamma != null) grads.push(sums(meanDyXhat));
      if (beta != null) grads.push(sums(Float64Array.from(meanDy)));
      return grads;
    };
    return { value, gradFunc };
  });
}
