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

/** Below this many reduced elements a plain `tf.mean` is accurate enough. */
const BLOCKING_THRESHOLD = 256;

/**
 * Mean over `axes` (keeping them, size 1) summed in blocks: the largest reduced
 * axis is split into `[blocks, blockSize]` (zero-padded when needed; zeros add
 * nothing to a sum), each block of about `sqrt(n)` elements is summed, then the
 * block sums are summed. On backends that accumulate float32 one value at a
 * time (wasm) this cuts the rounding error of an `n`-element mean from about
 * `sqrt(n)` ulps to about `n^(1/4)`. On float64-accumulating backends (cpu) it
 * changes nothing but costs a little. Differentiable.
 *
 * @param x Input tensor.
 * @param axes Non-negative, distinct axes to reduce.
 * @returns A tensor with the shape of `x` where the reduced axes have size 1.
 */
export function blockedMean(x: tf.Tensor, axes: number[]): tf.Tensor {
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  if (count <= BLOCKING_THRESHOLD || axes.length === 0) return tf.mean(x, axes, true);
  return tf.tidy(() => {
    // Split the largest reduced axis into [blocks, blockSize].
    const split = axes.reduce((best, a) => (x.shape[a] > x.shape[best] ? a : best), axes[0]);
    const length = x.shape[split];
    const others = count / length;
    const target = Math.max(1, Math.min(length, Math.round(Math.sqrt(count) / others)));
    const blockSize = nearDivisor(length, target) ?? target;
    const blocks = Math.ceil(length / blockSize);
    const padded =
      blocks * blockSize > length
        ? tf.pad(
            x,
            x.shape.map((_, i) => (i === split ? [0, blocks * blockSize - length] : [0, 0])) as [
              number,
              number,
            ][],
          )
        : x;
    const splitShape = [...x.shape.slice(0, split), blocks, blockSize, ...x.shape.slice(split + 1)];
    // Axes in the split layout: `split` -> blocks (kept for the second stage), `split + 1` -> blockSize.
    const inner = axes.map((a) => (a < split ? a : a + 1));
    const blockSums = tf.sum(tf.reshape(padded, splitShape), inner, true);
    const total = tf.sum(blockSums, split, true);
    const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    return tf.div(tf.reshape(total, keptShape), count);
  });
}

/** A divisor of `n` within a factor 1.5 of `target`, the closest one, or undefined. */
function nearDivisor(n: number, target: number): number | undefined {
  let best: number | undefined;
  for (
    let d = Math.max(1, Math.floor(target / 1.5));
    d <= Math.min(n, Math.ceil(target * 1.5));
    d++
  ) {
    if (n % d === 0 && (best === undefined || Math.abs(d - target) < Math.abs(best - target)))
      best = d;
  }
  return best;
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
 * Each mean is a {@link blockedMean} (pairwise-style blocked summation).
 *
 * Built from differentiable tfjs ops, so gradients flow through it.
 * Returned tensors keep the reduced axes (size 1). The caller owns them.
 */
export function centeredStatistics(x: tf.Tensor, axes: number[]): CenteredStatistics {
  return tf.tidy(() => {
    const first = blockedMean(x, axes);
    const correction = blockedMean(tf.sub(x, first), axes);
    const mean = tf.add(first, correction);
    const centered = tf.sub(x, mean);
    const variance = blockedMean(tf.square(centered), axes);
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
