import { basename } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { exportNpz } from '../api/export';
import { exportOnnx } from '../api/export-onnx';
import { saveTfjs } from '../formats/tfjs/index';
import { fileSystemHandler } from '../formats/tfjs/node';
import { ONNX_EXTERNAL_DATA_AUTO_BYTES } from '../formats/onnx/export';
import { FileSink } from '../io/node';

/** Options of {@link saveBiT}. */
export interface SaveBiTOptions {
  /**
   * `npz` (official layout, for timm / big_transfer / numpy), `tfjs` (model.json + shards) or
   * `onnx` (one .onnx file for onnxruntime; float32 only).
   */
  format?: 'npz' | 'tfjs' | 'onnx';
  /** Weight dtype (default float32; npz and tfjs). */
  dtype?: 'float32' | 'float16';
  /** Deflate .npz members. */
  compress?: boolean;
  /**
   * ONNX: write the weights to `<path>.data` beside the model (ONNX external data), as models
   * over 2 GiB must. Default: when the weights exceed 1 GiB (R152x2 and up).
   */
  externalData?: boolean;
}

/** Whether `saveBiT(model, 'x.onnx')` writes external data by default: weights over 1 GiB. */
export function defaultOnnxExternalData(model: tfl.LayersModel): boolean {
  return model.countParams() * 4 > ONNX_EXTERNAL_DATA_AUTO_BYTES;
}

/**
 * Saves a model to `path` atomically (temp file or folder, then rename): an .npz in the official
 * layout, an ONNX model (`.onnx`), or a TF.js model folder (default for other paths).
 */
export async function saveBiT(
  model: tfl.LayersModel,
  path: string,
  options: SaveBiTOptions = {},
): Promise<void> {
  const format =
    options.format ?? (path.endsWith('.npz') ? 'npz' : path.endsWith('.onnx') ? 'onnx' : 'tfjs');
  if (format === 'onnx') {
    if (options.dtype === 'float16') {
      throw new RangeError('saveBiT: ONNX export writes float32 weights only');
    }
    const external = options.externalData ?? defaultOnnxExternalData(model);
    if (external) await saveOnnxWithExternalData(model, path);
    else await saveOnnx(await exportOnnx(model), path);
  } else if (format === 'npz') {
    await exportNpz(model, await FileSink.create(path), options);
  } else {
    await saveTfjs(model, fileSystemHandler(path), { dtype: options.dtype ?? 'float32' });
  }
}

/** Writes ONNX bytes (from `exportOnnx`, or an `OnnxBiTModel`'s `bytes`) to `path` atomically. */
export async function saveOnnx(bytes: Uint8Array, path: string): Promise<void> {
  const sink = await FileSink.create(path);
  try {
    await sink.write(bytes);
  } catch (error) {
    await sink.abort();
    throw error;
  }
  await sink.close();
}

/**
 * Exports `model` to ONNX with its weights in `<path>.data` (ONNX external data, 4096-byte
 * aligned; the model file records each initializer's offset and length). Both files are written
 * to temporary files; the data is renamed into place first, then the model, so a model file
 * never points at missing data.
 */
export async function saveOnnxWithExternalData(
  model: tfl.LayersModel,
  path: string,
): Promise<void> {
  const dataPath = `${path}.data`;
  const data = await FileSink.create(dataPath);
  let bytes: Uint8Array;
  try {
    bytes = await exportOnnx(model, {
      externalData: { location: basename(dataPath), write: (chunk) => data.writeSync(chunk) },
    });
  } catch (error) {
    await data.abort();
    throw error;
  }
  await data.close();
  await saveOnnx(bytes, path);
}
