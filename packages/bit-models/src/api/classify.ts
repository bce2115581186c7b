import * as tf from '@tensorflow/tfjs-core';
import { resizeBilinear, type DecodedImage } from '@bit/data';
import { resolveDataConfig } from './data-config';
import type { BiTModel } from './engine';
import { decodeImageInput } from './images';
import { ImageInputError, checkImageTensor, toUnitPixels } from './inputs';
import { predict, type PredictOptions, type TopClass } from './predict';

/**
 * One image to classify: a tensor (HWC, or NHWC with one image; int32 0–255 or float32 in
 * [0, 1]), decoded pixels, a URL, a Blob/File, encoded bytes, ImageData, an image / canvas /
 * video element, an ImageBitmap or a VideoFrame; in Node (`@bit/models/node`) also a file path
 * or a Buffer.
 */
export type ClassifyInput =
  | tf.Tensor
  | DecodedImage
  | string
  | URL
  | Blob
  | ArrayBuffer
  | Uint8Array
  | ImageData
  | ImageBitmap
  | HTMLImageElement
  | HTMLCanvasElement
  | HTMLVideoElement
  | OffscreenCanvas
  | VideoFrame;

/** Options of {@link classify}. */
export interface ClassifyOptions extends Omit<PredictOptions, 'logits'> {
  /**
   * Side of the square the images are resized to (default: the model's resolution from its
   * metadata, see `resolveDataConfig`).
   */
  resolution?: number;
}

/** One image's pixels at `size` x `size`, float32 in [0, 1] ([H, W, 3]; caller disposes). */
async function evalTensor(input: ClassifyInput, size: number, what: string): Promise<tf.Tensor3D> {
  if (input instanceof tf.Tensor) {
    let image = input;
    if (input.rank === 4) {
      checkImageTensor(input, 4, what);
      if (input.shape[0] !== 1) {
        throw new ImageInputError(
          `${what}: classify takes one image per input, got a batch of ${input.shape[0]}; pass an array of images (or use predict for batches)`,
        );
      }
      image = tf.squeeze(input, [0]);
    } else checkImageTensor(input, 3, what);
    try {
      const unit = await toUnitPixels(image, what);
      return tf.tidy(() => {
        const [h, w] = unit.shape;
        const out =
          h === size && w === size
            ? unit.clone()
            : tf.image.resizeBilinear(unit as tf.Tensor3D, [size, size], false, true);
        unit.dispose();
        return out as tf.Tensor3D;
      });
    } finally {
      if (image !== input) image.dispose();
    }
  }
  const decoded = await decodeImageInput(input, what);
  const resized = resizeBilinear(decoded, size, size);
  return tf.tensor3d(resized.data, [size, size, 3], 'float32');
}

/**
 * Classifies images the way people expect: decodes each input (see {@link ClassifyInput}),
 * resizes it with the HyperRule's eval transform (straight to the model's resolution, bilinear)
 * and returns its top classes `[{ label, score, index }]`, best first. An array of inputs gives
 * an array of lists. `model` may be a tfjs model or an engine model (`loadBiT(src, { engine: 'onnx' })`).
 * @example
 *   const top = await classify(model, 'cat.jpg', { topK: 3 }); // Node: '@bit/models/node'
 *   const lists = await classify(model, [imgElement, file]); // browser
 */
export async function classify(
  model: BiTModel,
  input: ClassifyInput,
  options?: ClassifyOptions,
): Promise<TopClass[]>;
export async function classify(
  model: BiTModel,
  input: readonly ClassifyInput[],
  options?: ClassifyOptions,
): Promise<TopClass[][]>;
export async function classify(
  model: BiTModel,
  input: ClassifyInput | readonly ClassifyInput[],
  options: ClassifyOptions = {},
): Promise<TopClass[] | TopClass[][]> {
  const many = Array.isArray(input);
  const inputs = (many ? input : [input]) as readonly ClassifyInput[];
  const size = options.resolution ?? (await resolveDataConfig(model)).resolution;
  if (!Number.isInteger(size) || size <= 0) {
    throw new ImageInputError(`classify: resolution must be a positive integer, got ${size}`);
  }
  const { resolution: _unused, ...predictOptions } = options;
  const batchSize = options.batchSize ?? 16;
  const out: TopClass[][] = [];
  for (let start = 0; start < inputs.length; start += batchSize) {
    const chunk = inputs.slice(start, start + batchSize);
    const tensors: tf.Tensor3D[] = [];
    try {
      for (const [i, item] of chunk.entries()) {
        tensors.push(await evalTensor(item, size, many ? `inputs[${start + i}]` : 'input'));
      }
      const batch = tf.stack(tensors) as tf.Tensor4D;
      try {
        const predictions = await predict(model, batch, { ...predictOptions, batchSize });
        for (const p of predictions) out.push(p.top);
      } finally {
        batch.dispose();
      }
    } finally {
      tf.dispose(tensors);
    }
  }
  return many ? out : out[0];
}
