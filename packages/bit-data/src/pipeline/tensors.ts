/** From batches to tfjs tensors, and to tf.data datasets (tfjs-data passed in: no hard dependency). */
import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from './pipeline';

/** A batch as tensors: images [B, H, W, 3] float32; labels int32 [B] or float32 [B, K]. */
export interface TensorBatch {
  readonly images: tf.Tensor4D;
  readonly labels: tf.Tensor1D | tf.Tensor2D;
}

/** Makes tensors from a batch (the caller disposes them). */
export function batchToTensors(batch: Batch): TensorBatch {
  const images = tf.tensor4d(
    batch.images,
    [...batch.shape] as [number, number, number, number],
    'float32',
  );
  const labels =
    batch.labels instanceof Float32Array
      ? tf.tensor2d(batch.labels, [batch.size, batch.numClasses], 'float32')
      : tf.tensor1d(batch.labels, 'int32');
  return { images, labels };
}

/** The part of the `@tensorflow/tfjs-data` module (`tf.data`) that toTfDataset uses. */
export interface TfDataModule<D> {
  generator(generator: () => AsyncIterator<{ xs: tf.Tensor; ys: tf.Tensor }>): D;
}

/**
 * Wraps batches as a `tf.data` dataset of `{ xs, ys }` through `tfData.generator`. Pass the
 * tf.data module (`import * as tfData from '@tensorflow/tfjs-data'`, or `tf.data` from
 * @tensorflow/tfjs); @bit/data does not depend on tfjs-data. Each element is one batch
 * (do not call `.batch()` on the dataset again).
 */
export function toTfDataset<D>(batches: AsyncIterable<Batch>, tfData: TfDataModule<D>): D {
  return tfData.generator(() => {
    const it = batches[Symbol.asyncIterator]();
    return {
      async next() {
        const r = await it.next();
        if (r.done) return { done: true, value: undefined };
        const t = batchToTensors(r.value);
        return { done: false, value: { xs: t.images, ys: t.labels } };
      },
      async return() {
        await it.return?.();
        return { done: true, value: undefined };
      },
    };
  });
}
