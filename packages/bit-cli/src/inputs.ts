import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readNpy } from '@bit/models';
import { UsageError } from './errors';
import { requirePath } from './paths';

/** One input named on the command line, as NHWC float32 images in [0, 1]. */
export interface LoadedInput {
  /** The path as given. */
  input: string;
  /** [N, H, W, 3]; the caller disposes it. */
  images: tf.Tensor4D;
}

/** Image decoding (PNG/JPEG/...) to [H, W, 3] float32 in [0, 1], resized to `size` when given. */
export type ImageDecoder = (path: string, size: number | null) => Promise<tf.Tensor3D>;

/** Reads an .npy of NHWC (or HWC) float32 images in [0, 1], used at its own size. */
export async function readNpyImages(path: string, usage: string): Promise<tf.Tensor4D> {
  const { shape, data } = readNpy(new Uint8Array(await readFile(path)), path);
  const nhwc = shape.length === 3 ? [1, ...shape] : shape;
  if (nhwc.length !== 4 || nhwc[3] !== 3) {
    throw new UsageError(
      `${path}: expected NHWC (or HWC) images with 3 channels, got shape (${shape.join(', ')})`,
      usage,
    );
  }
  return tf.tensor4d(data, nhwc as [number, number, number, number], 'float32');
}

/** Loads one input path: .npy as is; an image decoded and resized to `size`. */
export async function loadInput(
  input: string,
  decodeImage: ImageDecoder,
  size: number | null,
  usage: string,
): Promise<LoadedInput> {
  if (extname(input).toLowerCase() === '.npy') {
    return { input, images: await readNpyImages(input, usage) };
  }
  const img = await decodeImage(input, size);
  const images = tf.tidy(() => tf.expandDims(img, 0) as tf.Tensor4D);
  img.dispose();
  return { input, images };
}

/** Fails early (before a model is loaded) when no input is given or an input file is missing. */
export async function requireFiles(paths: string[], usage: string): Promise<void> {
  if (paths.length === 0) throw new UsageError('no input given (images or .npy files)', usage);
  for (const p of paths) await requirePath(p, undefined, usage, 'file');
}
