import type * as tfl from '@tensorflow/tfjs-layers';
import { exportWeights } from '../checkpoint/weights';
import { writeNpz, type NpzWriteArray } from '../formats/npz/index';
import type { ByteSink } from '../io/byte-source';

/** Options of {@link exportNpz}. */
export interface ExportNpzOptions {
  /** Stored dtype (default float32; float16 halves the file). */
  dtype?: 'float32' | 'float16';
  /** Deflate the members (numpy's savez_compressed). */
  compress?: boolean;
}

/**
 * Writes the model's weights as an .npz in the official BiT layout (readable by
 * big_transfer's `load_from`, timm's `_load_weights`, numpy), one array at a time.
 */
export async function exportNpz(
  model: tfl.LayersModel,
  sink: ByteSink,
  options: ExportNpzOptions = {},
): Promise<void> {
  const dtype = options.dtype ?? 'float32';
  async function* arrays(): AsyncGenerator<NpzWriteArray> {
    for await (const a of exportWeights(model))
      yield { name: a.name, shape: a.shape, data: a.data, dtype };
  }
  await writeNpz(arrays(), sink, { compress: options.compress ?? false });
}
