import * as tf from '@tensorflow/tfjs-core';
import { BitModelsError } from '../errors.js';

/** Images for predict/features: one NHWC batch, one HWC image, or a list of HWC images (any sizes). */
export type ImageInput = tf.Tensor4D | tf.Tensor3D | readonly tf.Tensor3D[];

/** Thrown for images that are not NHWC float32 with 3 channels. */
export class ImageInputError extends BitModelsError {
  override name = 'ImageInputError';
}

/** Splits the input into batches of at most `batchSize` same-sized images (views, caller disposes). */
export function* imageBatches(images: ImageInput, batchSize: number): Generator<tf.Tensor4D> {
  if (Array.isArray(images)) {
    for (const [i, img] of (images as readonly tf.Tensor3D[]).entries()) {
      check(img, 3, `images[${i}]`);
      yield tf.expandDims(img, 0) as tf.Tensor4D;
    }
    return;
  }
  const t = images as tf.Tensor;
  if (t.rank === 3) {
    check(t, 3, 'image');
    yield tf.expandDims(t, 0) as tf.Tensor4D;
    return;
  }
  check(t, 4, 'images');
  const n = t.shape[0];
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    yield tf.slice(t, [start, 0, 0, 0], [size, -1, -1, -1]) as tf.Tensor4D;
  }
}

function check(t: tf.Tensor, rank: number, what: string): void {
  if (t.rank !== rank || t.shape[t.rank - 1] !== 3) {
    throw new ImageInputError(
      `${what} must be ${rank === 4 ? 'NHWC' : 'HWC'} with 3 channels (float32 in [0, 1]), got shape [${t.shape.join(', ')}]`,
    );
  }
}
