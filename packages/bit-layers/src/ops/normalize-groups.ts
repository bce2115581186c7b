/**
 * The normalisation shared by GroupNorm and Weight Standardisation, with its
 * analytic gradient: data `[N, S, C]` is normalised per sample and group of
 * consecutive channels, over the S rows and the group's channels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expandGroups, meanOverGroups, meanOverRows, sumOverSamples } from './row-means';
import { fusedNormalizeGroups, hasFusedGroupNorm } from './fused-normalize';
import { hasHybridGroupNorm, hybridNormalizeGroups } from './hybrid-normalize';
import { affineCustomGrad } from './affine-custom-grad';

/** What the forward pass keeps: the shifted input and per-(sample, channel) statistics. */
interface GroupStatistics {
  /** `x - m0`, with `m0` a first estimate of the group mean; `[N, S, C]`. */
  shifted: tf.Tensor3D;
  /** Mean of `shifted` over the group, so `mean = m0 + residual`; `[N, 1, C]`. */
  residual: tf.Tensor3D;
  /** `1 / sqrt(variance + eps)`; `[N, 1, C]`. */
  rstd: tf.Tensor3D;
}

/**
 * Per-(sample, channel) values `[N, 1, C]` shaped to combine with `[N, S, C]`
 * data: `[C]` when N is 1. Same result; the cpu backend has a fast path only
 * for operands that match the trailing dimensions (no size-1 axis to repeat).
 */
function perChannel(t: tf.Tensor): tf.Tensor {
  return t.shape[0] === 1 ? tf.reshape(t, [t.shape[2] as number]) : t;
}

/** Mean of `[N, S, C]` data per sample and group: `[N, G]`. */
function groupMean(t: tf.Tensor, groups: number): tf.Tensor2D {
  return meanOverGroups(meanOverRows(t as tf.Tensor3D), groups);
}

/**
 * Mean and variance per sample and group, in the centred two-pass scheme:
 * `m0` = mean of `x`; `shifted = x - m0`; `residual` = mean of `shifted` (the
 * rounding error of `m0`, so `mean = m0 + residual` to the accuracy of a sum of
 * small values); `variance = mean(shifted²) - residual²`, where `residual²` is
 * tiny next to the variance, so nothing cancels.
 */
function groupStatistics(x: tf.Tensor3D, groups: number, eps: number): GroupStatistics {
  const channels = x.shape[2];
  const m0 = expandGroups(groupMean(x, groups), channels);
  const shifted = tf.sub(x, perChannel(m0)) as tf.Tensor3D;
  const residual = groupMean(shifted, groups);
  const meanSquare = groupMean(tf.mul(shifted, shifted), groups);
  // Clamped: rounding may push a zero variance (a constant group) a hair below 0.
  const variance = tf.relu(tf.sub(meanSquare, tf.mul(residual, residual)));
  const rstd = expandGroups(tf.rsqrt(tf.add(variance, eps)) as tf.Tensor2D, channels);
  return { shifted, residual: expandGroups(residual, channels), rstd };
}

/**
 * Normalises `x` `[N, S, C]` per sample and group of `C / groups` consecutive
 * channels, over the S rows and the group's channels:
 * `y = (x - mean) / sqrt(var + eps) * gamma + beta` (population variance;
 * `gamma`, `beta` `[C]` optional). Differentiable with respect to `x`, `gamma`
 * and `beta` through an analytic gradient. On cpu two fused kernels
 * (`fused-normalize`) do it in a few passes with float64 statistics; on wasm
 * the passes run on the backend and the statistics in JS (`hybrid-normalize`);
 * other backends run {@link composedNormalizeGroups}.
 *
 * `groups` must divide C; the callers validate their arguments.
 */
export function normalizeGroups(
  x: tf.Tensor3D,
  groups: number,
  eps: number,
  gamma: tf.Tensor | null,
  beta: tf.Tensor | null,
): tf.Tensor3D {
  if (x.size === 0) return tf.clone(x);
  if (x.dtype === 'float32' && hasFusedGroupNorm()) {
    return fusedNormalizeGroups(x, groups, eps, gamma, beta);
  }
  if (hasHybridGroupNorm()) return hybridNormalizeGroups(x, groups, eps, gamma, beta);
  return composedNormalizeGroups(x, groups, eps, gamma, beta);
}

/**
 * {@link normalizeGroups} composed of tfjs ops (any backend): the path of the backends
 * without fused kernels, kept callable for tests and benchmarks. Its gradient's reductions
 * are the same row means (a tape of the forward ops would reduce over broadcast axes with
 * `tf.sum`, the slow case on wasm, and take several more passes).
 */
export function composedNormalizeGroups(
  x: tf.Tensor3D,
  groups: number,
  eps: number,
  gamma: tf.Tensor | null,
  beta: tf.Tensor | null,
): tf.Tensor3D {
  const [, rows, channels] = x.shape;

  return affineCustomGrad(x, gamma, beta, ({ x: xt, gamma: g, beta: b, save }) => {
    const { shifted, residual, rstd } = groupStatistics(xt, groups, eps);
    // y = (shifted - residual) * rstd * gamma + beta = shifted * scale + offset.
    const scale = g != null ? tf.mul(rstd, g) : rstd;
    let offset = tf.neg(tf.mul(residual, scale));
    if (b != null) offset = tf.add(offset, b);
    const value = tf.add(tf.mul(shifted, perChannel(scale)), perChannel(offset)) as tf.Tensor3D;
    save(g != null ? [shifted, residual, rstd, g] : [shifted, residual, rstd]);

    // Tidied: tfjs runs a custom gradient outside any scope of its own.
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] =>
      tf.tidy(() => {
        const [d, res, r] = saved as tf.Tensor3D[];
        const gam = g != null ? saved[3] : null;
        // Per sample and channel, over the rows: mean(dy) and mean(dy·x̂), x̂ = (d - res)·r.
        const meanDy = meanOverRows(dy as tf.Tensor3D);
        const meanDyD = meanOverRows(tf.mul(dy, d) as tf.Tensor3D);
        const meanDyXhat = tf.mul(r, tf.sub(meanDyD, tf.mul(res, meanDy))) as tf.Tensor3D;
        // dx = r·(γ·dy - mean_g(γ·dy) - x̂·mean_g(γ·dy·x̂)) = dy·p - d·r²m2 + rest.
        const perGroup = (t: tf.Tensor) =>
          expandGroups(meanOverGroups(t as tf.Tensor3D, groups), channels);
        const m1 = perGroup(gam != null ? tf.mul(meanDy, gam) : meanDy);
        const m2 = perGroup(gam != null ? tf.mul(meanDyXhat, gam) : meanDyXhat);
        const p = gam != null ? tf.mul(r, gam) : r;
        const r2m2 = tf.mul(tf.mul(r, r), m2);
        const rest = tf.sub(tf.mul(r2m2, res), tf.mul(r, m1));
        const dx = tf.add(
          tf.sub(tf.mul(dy, perChannel(p)), tf.mul(d, perChannel(r2m2))),
          perChannel(rest),
        );
        const grads: tf.Tensor[] = [dx];
        if (gam != null) grads.push(tf.mul(sumOverSamples(meanDyXhat), rows));
        if (beta != null) grads.push(tf.mul(sumOverSamples(meanDy), rows));
        return grads;
      });
    return { value, gradFunc };
  });
}
