import type * as tfl from '@tensorflow/tfjs-layers';
import { exportNpz } from '../api/export';
import { saveTfjs } from '../formats/tfjs/index';
import { fileSystemHandler } from '../formats/tfjs/node';
import { FileSink } from '../io/node';

/** Options of {@link saveBiT}. */
export interface SaveBiTOptions {
  /** `npz` (official layout, for timm / big_transfer / numpy) or `tfjs` (model.json + shards). */
  format?: 'npz' | 'tfjs';
  /** Weight dtype (default float32). */
  dtype?: 'float32' | 'float16';
  /** Deflate .npz members. */
  compress?: boolean;
}

/**
 * Saves a model to `path` atomically (temp file or folder, then rename): an .npz in the official
 * layout, or a TF.js model folder (default when `path` does not end in .npz).
 */
export async function saveBiT(
  model: tfl.LayersModel,
  path: string,
  options: SaveBiTOptions = {},
): Promise<void> {
  const format = options.format ?? (path.endsWith('.npz') ? 'npz' : 'tfjs');
  if (format === 'npz') {
    await exportNpz(model, await FileSink.create(path), options);
  } else {
    await saveTfjs(model, fileSystemHandler(path), { dtype: options.dtype ?? 'float32' });
  }
}
