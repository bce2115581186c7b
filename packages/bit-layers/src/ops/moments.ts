/**
 * Mean and variance with a centred two-pass scheme, for backends whose
 * reductions accumulate in float32 one value at a time (wasm).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Mean and (population) variance of a tensor over some axes. */
export interface Moments {
  /** Mean over the reduced axes. */
  mean: tf.Tensor;
  /** Population variance (divides by the count, not count - 1). */
  variance: tf.Tensor;
}

/** Moments plus the centred input `x - mean`, all with the reduced axes kept (size 1). */
export interface CenteredStatistics extends Moments {
  /** `x - mean`, same shape as `x`. */
  centered: tf.Tensor;
}

/**
 * Centred two-pass statistics, the building block of {@link centeredMoments}.
 *
 * 1. `m0 = mean(x)` (may carry float32 accumulation error on wasm);
 * 2. `mean = m0 + mean(x - m0)`: the second pass averages small residuals, so
 *    its own rounding error is relative to the spread of `x`, not its offset;
 * 3. `centered = x - mean`, `variance = mean(centered^2)`: a sum of squares of
 *    centred values never cancels catastrophically as `E[x^2] - E[x]^2` does.
 *
 * Built from differentiable tfjs ops, so gradients flow through it.
 * Returned tensors keep the reduced axes (size 1). The caller owns them.
 */
export function centeredStatistics(x: tf.Tensor, axes: number[]): CenteredStatistics {
  return tf.tidy(() => {
    const first = tf.mean(x, axes, true);
    const correction = tf.mean(tf.sub(x, first), axes, true);
    const mean = tf.add(first, correction);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), axes, true);
    return { mean, variance, centered };
  });
}

/**
 * Mean and population variance of `x` over `axes`, computed with the centred
 * two-pass scheme of {@link centeredStatistics}. A drop-in for `tf.moments`
 * that stays accurate on backends that add float32 values one at a time
 * (wasm), also for inputs with a large offset relative to their spread.
 *
 * @param x Input tensor (float32).
 * @param axes Axes to reduce (negative values count from the end); default all.
 * @param keepDims Keep the reduced axes with size 1 (default false).
 */
export function centeredMoments(x: tf.Tensor, axes?: number | number[], keepDims = false): Moments {
  const rank = x.rank;
  const list = axes == null ? [...Array(rank).keys()] : Array.isArray(axes) ? axes : [axes];
  const resolved = list.map((a) => (a < 0 ? a + rank : a));
  return tf.tidy(() => {
    const { mean, variance } = centeredStatistics(x, resolved);
    if (keepDims) return { mean, variance };
    const outShape = x.shape.filter((_, i) => !resolved.includes(i));
    return { mean: tf.reshape(mean, outShape), variance: tf.reshape(variance, outShape) };
  });
}
