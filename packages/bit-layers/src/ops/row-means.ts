/**
 * Means over the rows of channels-last data: the reductions behind
 * {@link groupNorm} and {@link standardizeKernel} (forward and backward).
 *
 * The statistics of GroupNorm and Weight Standardisation reduce over every
 * axis but the channels, the innermost one. A `tf.sum` or `tf.mean` over such
 * axes makes the wasm backend transpose the whole tensor and then add the
 * values one at a time in float32: slow, and its rounding error grows with the
 * count. Average pooling reduces exactly these axes in place (XNNPACK on wasm,
 * vectorised over the channels), so the mean over `S` rows is taken here as
 * two average pools: over blocks of about `sqrt(S)` rows, then over the block
 * means. Each level adds at most a few dozen values, which keeps float32
 * rounding error near that of pairwise summation; cpu pools in float64.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Up to this many rows are averaged in one pool. */
const SINGLE_POOL_ROWS = 64;

/** Mean of `x` `[N, R, 1, C]` over windows of `window` rows (stride `window`, trailing rows dropped). */
function poolRows(x: tf.Tensor4D, window: number): tf.Tensor4D {
  return tf.avgPool(x, [window, 1], [window, 1], 'valid');
}

/** The block size for `rows` rows: a divisor near `sqrt(rows)` if there is one, else `round(sqrt(rows))`. */
export function rowBlockSize(rows: number): number {
  const target = Math.sqrt(rows);
  let best = 0;
  for (let d = Math.ceil(target / 2); d <= Math.floor(target * 2); d++) {
    if (rows % d === 0 && (best === 0 || Math.abs(d - target) < Math.abs(best - target))) best = d;
  }
  return best > 0 ? best : Math.round(target);
}

/**
 * Means of `x` `[N, S, C]` over its middle axis, per sample and channel:
 * `[N, 1, C]`. Not differentiable through a tape (the callers bring their own
 * gradients).
 */
export function meanOverRows(x: tf.Tensor3D): tf.Tensor3D {
  const [batch, rows, channels] = x.shape;
  if (rows === 1) return tf.clone(x);
  const x4 = tf.reshape(x, [batch, rows, 1, channels]) as tf.Tensor4D;
  if (rows <= SINGLE_POOL_ROWS) return tf.reshape(poolRows(x4, rows), [batch, 1, channels]);
  const block = rowBlockSize(rows);
  const blocks = Math.floor(rows / block);
  const covered = blocks * block;
  let mean = poolRows(poolRows(x4, block), blocks);
  if (covered < rows) {
    // The rows after the last whole block, averaged on their own and weighted in.
    const tail = rows - covered;
    const tailMean = poolRows(tf.slice(x4, [0, covered, 0, 0], [batch, tail, 1, channels]), tail);
    mean = tf.add(tf.mul(mean, covered / rows), tf.mul(tailMean, tail / rows));
  }
  return tf.reshape(mean, [batch, 1, channels]);
}

/**
 * Means of per-channel values `v` `[N, 1, C]` over each of `groups` groups of
 * `C / groups` consecutive channels: `[N, groups]`. A matrix product with a
 * ones vector (blocked float32 sums on wasm, rather than one running sum).
 */
export function meanOverGroups(v: tf.Tensor3D, groups: number): tf.Tensor2D {
  const [batch, , channels] = v.shape;
  const size = channels / groups;
  if (size === 1) return tf.reshape(v, [batch, groups]);
  const flat = tf.reshape(v, [batch * groups, size]);
  const sums = tf.matMul(flat, tf.ones([1, size]), false, true);
  return tf.reshape(tf.div(sums, size), [batch, groups]);
}

/** Repeats per-group values `v` `[N, G]` over the `channels / G` channels of each group: `[N, 1, channels]`. */
export function expandGroups(v: tf.Tensor2D, channels: number): tf.Tensor3D {
  const [batch, groups] = v.shape;
  if (groups === channels) return tf.reshape(v, [batch, 1, channels]);
  const repeated = tf.broadcastTo(tf.reshape(v, [batch, groups, 1]), [
    batch,
    groups,
    channels / groups,
  ]);
  return tf.reshape(repeated, [batch, 1, channels]);
}

/** Sums of `[N, 1, C]` values over the samples: `[C]`. */
export function sumOverSamples(v: tf.Tensor3D): tf.Tensor1D {
  const [batch, , channels] = v.shape;
  if (batch === 1) return tf.reshape(v, [channels]);
  return tf.sum(tf.reshape(v, [batch, channels]), 0);
}
