import * as tf from '@tensorflow/tfjs-core';
import { resizeBilinear } from '@bit/data';
import { decodeImageFile } from '@bit/data/node';
import type { ImageDecoder } from './inputs';

/**
 * An ImageDecoder that decodes an image file (sharp, or the pure-JS fallback) under the pixel
 * limit `maxPixels` (`--max-pixels`; default @bit/data's DEFAULT_MAX_PIXELS) and resizes it
 * straight to `size` x `size` (the HyperRule's eval transform), as [H, W, 3] float32 in [0, 1].
 */
export const decoderForModel =
  (maxPixels?: number): ImageDecoder =>
  async (path, size) => {
    const image = await decodeImageFile(path, maxPixels === undefined ? {} : { maxPixels });
    const h = size ?? image.height;
    const w = size ?? image.width;
    const resized = resizeBilinear(image, h, w);
    return tf.tensor3d(resized.data, [h, w, 3], 'float32');
  };
