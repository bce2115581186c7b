import * as tf from '@tensorflow/tfjs-core';
import { BitModelsError } from '../errors';

/**
 * Images for predict/features: one NHWC batch or one HWC image (any size, 3 channels), or a list
 * of HWC images. Integer tensors (int32, what `tf.browser.fromPixels` returns) are 0–255 pixels
 * and are scaled by 1/255; float32 tensors must lie in [0, 1]. Any `tf.Tensor` is accepted at
 * compile time (so `tf.randomUniform([1, 224, 224, 3])` and `tf.tensor(...)` type-check); rank,
 * channels, dtype and range are checked when it runs.
 */
export type ImageInput = tf.Tensor | readonly tf.Tensor[];

/** Thrown for images that are not NHWC/HWC with 3 channels, or of a dtype that is no pixels. */
export class ImageInputError extends BitModelsError {
  override name = 'ImageInputError';
}

/** Float inputs may exceed [0, 1] by this much (rounding in resizes and conversions). */
export const PIXEL_TOLERANCE = 1e-4;

/**
 * Thrown for pixel values outside their range: float32 outside [0, 1] (beyond
 * {@link PIXEL_TOLERANCE}), or integers outside [0, 255]. `min`/`max` are the values found.
 */
export class PixelRangeError extends ImageInputError {
  override name = 'PixelRangeError';
  constructor(
    /** Which input (`images`, `images[2]`, `image`). */
    readonly input: string,
    /** The range the dtype requires. */
    readonly expected: readonly [number, number],
    readonly min: number,
    readonly max: number,
    readonly dtype: string,
  ) {
    const found = `found values in [${fmt(min)}, ${fmt(max)}]`;
    const fix =
      dtype === 'int32'
        ? 'integer tensors are 0–255 pixels; clip them (tf.clipByValue(x, 0, 255); on wasm after ' +
          "registerWasmTrainingKernels() from '@bit/layers/kernels', which fixes tfjs-backend-wasm's int32 clip)"
        : "for 0–255 pixels pass an int32 tensor (tf.cast(x, 'int32'), as tf.browser.fromPixels " +
          'returns) or divide by 255; for inputs in [-1, 1] use tf.div(tf.add(x, 1), 2)';
    super(
      `${input}: ${dtype} pixel values must lie in [${expected[0]}, ${expected[1]}], ${found}; ${fix}`,
    );
  }
}

function fmt(x: number): string {
  return Number.isFinite(x) ? String(Math.round(x * 1e4) / 1e4) : String(x);
}

function checkShape(t: tf.Tensor, rank: number, what: string): void {
  if (t.rank !== rank || t.shape[t.rank - 1] !== 3) {
    throw new ImageInputError(
      `${what} must be ${rank === 4 ? 'NHWC' : 'HWC'} with 3 channels (int32 0–255 or float32 in [0, 1]), got shape [${t.shape.join(', ')}]`,
    );
  }
  if (t.dtype !== 'float32' && t.dtype !== 'int32') {
    throw new ImageInputError(
      `${what} must be int32 (0–255 pixels) or float32 (in [0, 1]), got dtype ${t.dtype}`,
    );
  }
}

/**
 * The pixels of `t` as float32 in [0, 1] (a new tensor the caller disposes): int32 is divided
 * by 255, float32 is copied. Refuses values outside the dtype's range with a PixelRangeError.
 */
export async function toUnitPixels(t: tf.Tensor, what: string): Promise<tf.Tensor> {
  const range = tf.tidy(() => tf.cast(tf.stack([tf.min(t), tf.max(t)]), 'float32'));
  const [min, max] = Array.from((await range.data()) as Float32Array);
  range.dispose();
  if (t.dtype === 'int32') {
    if (!(min >= 0 && max <= 255)) throw new PixelRangeError(what, [0, 255], min, max, t.dtype);
    return tf.tidy(() => tf.div(tf.cast(t, 'float32'), 255));
  }
  if (!(min >= -PIXEL_TOLERANCE && max <= 1 + PIXEL_TOLERANCE)) {
    throw new PixelRangeError(what, [0, 1], min, max, t.dtype);
  }
  return tf.clone(t);
}

/** Checks an image tensor (HWC, or NHWC when `rank` is 4) without reading its values. */
export function checkImageTensor(t: tf.Tensor, rank: 3 | 4, what: string): void {
  if (!(t instanceof tf.Tensor)) {
    throw new ImageInputError(`${what} must be a tf.Tensor, got ${typeof t}`);
  }
  checkShape(t, rank, what);
}

/**
 * Splits the input into batches of at most `batchSize` same-sized images, as float32 in [0, 1]
 * (new tensors: the caller disposes each). Shapes and dtypes are checked before anything is
 * computed; ranges per batch.
 */
export async function* imageBatches(
  images: ImageInput,
  batchSize: number,
): AsyncGenerator<tf.Tensor4D> {
  if (Array.isArray(images)) {
    const list = images as readonly tf.Tensor[];
    list.forEach((img, i) => checkImageTensor(img, 3, `images[${i}]`));
    for (const [i, img] of list.entries()) {
      const unit = await toUnitPixels(img, `images[${i}]`);
      const batch = tf.expandDims(unit, 0) as tf.Tensor4D;
      unit.dispose();
      yield batch;
    }
    return;
  }
  const t = images as tf.Tensor;
  if (t instanceof tf.Tensor && t.rank === 3) {
    checkImageTensor(t, 3, 'image');
    const unit = await toUnitPixels(t, 'image');
    const batch = tf.expandDims(unit, 0) as tf.Tensor4D;
    unit.dispose();
    yield batch;
    return;
  }
  checkImageTensor(t, 4, 'images');
  const n = t.shape[0];
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const slice = tf.slice(t, [start, 0, 0, 0], [size, -1, -1, -1]);
    try {
      yield (await toUnitPixels(
        slice,
        n > size ? `images[${start}..${start + size - 1}]` : 'images',
      )) as tf.Tensor4D;
    } finally {
      slice.dispose();
    }
  }
}
