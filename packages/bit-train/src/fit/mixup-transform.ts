/** MixUp for tf.data-style `{ xs, ys }` batches (`dataset.map(mixupTransform(alpha, seed))`). */
import * as tf from '@tensorflow/tfjs-core';
import { mixupBatch, Rng, sampleMixupLambda } from '@bit/data';
import { TrainConfigError } from '../errors';

/** A batch as tf.data gives it to `model.fitDataset`. */
export interface XyBatch {
  readonly xs: tf.Tensor;
  readonly ys: tf.Tensor;
}

/** Options of {@link mixupTransform}. */
export interface MixupTransformOptions {
  /** Classes, to one-hot encode integer labels `ys` [B] (not needed for one-hot ys [B, K]). */
  numClasses?: number;
}

/** A MixUp batch transform with its current state. */
export interface MixupTransform {
  (batch: XyBatch): { xs: tf.Tensor; ys: tf.Tensor2D };
  /** The lambda used for the last batch (1 before the first, and without MixUp). */
  readonly lastLambda: number;
}

/**
 * A seeded MixUp transform for batches `{ xs: [B, ...], ys: one-hot [B, K] or labels [B] }`:
 * one lambda ~ Beta(alpha, alpha) per batch (= per optimizer step), each example mixed with
 * the batch in reverse order: `x = lambda * x + (1 - lambda) * reverse(x)`, and the one-hot
 * labels likewise (train with soft-label cross-entropy, e.g. `tf.losses.softmaxCrossEntropy`).
 * Returns new tensors; with `alpha` 0 the batch passes unchanged (ys one-hot, as float32).
 */
export function mixupTransform(
  alpha: number,
  seed = 0,
  options: MixupTransformOptions = {},
): MixupTransform {
  if (!(alpha >= 0) || !Number.isFinite(alpha)) {
    throw new TrainConfigError(`mixupTransform: alpha must be a finite number >= 0, got ${alpha}`);
  }
  const rng = new Rng(seed);
  let last = 1;
  const transform = ((batch: XyBatch) => {
    const { xs, ys } = batch ?? ({} as XyBatch);
    if (!(xs instanceof tf.Tensor) || !(ys instanceof tf.Tensor)) {
      throw new TrainConfigError('mixupTransform: the batch must be { xs: Tensor, ys: Tensor }');
    }
    const lambda = sampleMixupLambda(rng, alpha);
    last = lambda;
    return tf.tidy(() => {
      let y: tf.Tensor2D;
      if (ys.rank === 1) {
        if (!options.numClasses) {
          throw new TrainConfigError(
            'mixupTransform: ys holds class indices; pass { numClasses } to one-hot encode them',
          );
        }
        y = tf.cast(tf.oneHot(tf.cast(ys, 'int32'), options.numClasses), 'float32') as tf.Tensor2D;
      } else if (ys.rank === 2) {
        y = tf.cast(ys, 'float32') as tf.Tensor2D;
      } else {
        throw new TrainConfigError(`mixupTransform: ys must be [B] or [B, K], got rank ${ys.rank}`);
      }
      if (lambda === 1) return { xs: tf.clone(xs), ys: y };
      const mixed = mixupBatch(xs as tf.Tensor4D, y, lambda);
      return { xs: mixed.images as tf.Tensor, ys: mixed.labels };
    });
  }) as MixupTransform;
  Object.defineProperty(transform, 'lastLambda', { get: () => last });
  return transform;
}
