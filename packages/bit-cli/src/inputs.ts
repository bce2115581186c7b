import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { float16ToFloat32, parseNpyHeader } from '@bit/models';
import { UsageError } from './errors.js';

/** One input named on the command line, as NHWC float32 images in [0, 1]. */
export interface LoadedInput {
  /** The path as given. */
  input: string;
  /** [N, H, W, 3]; the caller disposes it. */
  images: tf.Tensor4D;
}

/** Image decoding (PNG/JPEG/...) to [H, W, 3] uint8, provided by @bit/data/node when present. */
export type ImageDecoder = (path: string, size: number | null) => Promise<tf.Tensor3D>;

/** Reads an .npy of NHWC (or HWC) float32 images in [0, 1], used at its own size. */
export async function readNpyImages(path: string): Promise<tf.Tensor4D> {
  const bytes = new Uint8Array(await readFile(path));
  const header = parseNpyHeader(bytes);
  if (!('shape' in header))
    throw new UsageError(`${path}: not a valid .npy file: ${header.detail}`);
  const { shape, dtype, headerLength, size, itemSize, bigEndian } = header;
  if (bigEndian)
    throw new UsageError(`${path}: big-endian .npy is not supported; save it as '<f4'`);
  if (bytes.length - headerLength < size * itemSize) {
    throw new UsageError(
      `${path}: the .npy data is cut off (${bytes.length - headerLength} bytes for ${size} ${dtype} values)`,
    );
  }
  const nhwc = shape.length === 3 ? [1, ...shape] : shape;
  if (nhwc.length !== 4 || nhwc[3] !== 3) {
    throw new UsageError(
      `${path}: expected NHWC (or HWC) images with 3 channels, got shape (${shape.join(', ')})`,
    );
  }
  const raw = bytes.slice(headerLength, headerLength + size * itemSize).buffer;
  const data =
    dtype === 'float32'
      ? new Float32Array(raw)
      : dtype === 'float16'
        ? float16ToFloat32(new Uint16Array(raw))
        : Float32Array.from(new Float64Array(raw));
  return tf.tensor4d(data, nhwc as [number, number, number, number], 'float32');
}

/** Loads each input path: .npy as is; images decoded and resized to `size`. */
export async function loadInputs(
  paths: string[],
  decodeImage: ImageDecoder,
  size: number | null,
  usage: string,
): Promise<LoadedInput[]> {
  if (paths.length === 0) throw new UsageError('no input given (images or .npy files)', usage);
  const out: LoadedInput[] = [];
  for (const input of paths) {
    if (extname(input).toLowerCase() === '.npy') {
      out.push({ input, images: await readNpyImages(input) });
    } else {
      const img = await decodeImage(input, size);
      out.push({ input, images: tf.tidy(() => tf.expandDims(img, 0) as tf.Tensor4D) });
      img.dispose();
    }
  }
  return out;
}

/** Fails early (before a model is loaded) when an input file is missing. */
export async function requireFiles(paths: string[], usage: string): Promise<void> {
  const { stat } = await import('node:fs/promises');
  for (const p of paths) {
    const s = await stat(p).catch(() => null);
    if (!s?.isFile()) throw new UsageError(`${p}: no such file`, usage);
  }
}
