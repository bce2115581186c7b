/** MixUp on tfjs tensors (same rule as mixupArrays: mix with the batch in reverse order). */
import * as tf from '@tensorflow/tfjs-core';
import { DataArgumentError } from '../errors';

/**
 * x = lambda * x + (1 - lambda) * reverse(x, batch axis), and the [B, K] one-hot labels
 * likewise. Returns new tensors (the caller owns them); the inputs are not disposed.
 */
export function mixupBatch(
  images: tf.Tensor4D,
  labels: tf.Tensor2D,
  lambda: number,
): { images: tf.Tensor4D; labels: tf.Tensor2D } {
  if (!(lambda >= 0 && lambda <= 1))
    throw new DataArgumentError(`mixupBatch: lambda must be in [0, 1], got ${lambda}`);
  if (images.shape[0] !== labels.shape[0]) {
    throw new DataArgumentError(
      `mixupBatch: images batch ${images.shape[0]} and labels batch ${labels.shape[0]} differ`,
    );
  }
  return tf.tidy(() => {
    const mix = <T extends tf.Tensor>(t: T): T =>
      tf.add(tf.mul(t, tf.scalar(lambda)), tf.mul(tf.reverse(t, 0), tf.scalar(1 - lambda))) as T;
    return { images: mix(images), labels: mix(labels) };
  });
}
