import type * as tfl from '@tensorflow/tfjs-layers';
import { exportNpz } from '../api/export';
import { exportOnnx } from '../api/export-onnx';
import { saveTfjs } from '../formats/tfjs/index';
import { fileSystemHandler } from '../formats/tfjs/node';
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
    await saveOnnx(await exportOnnx(model), path);
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
