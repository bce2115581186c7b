import type * as tfl from '@tensorflow/tfjs-layers';
import { inferArchitecture } from '../checkpoint/layout';
import { exportWeights, type NamedArray } from '../checkpoint/weights';
import { buildOnnx, OnnxExportError, type BuildOnnxOptions } from '../formats/onnx/export';
import { getBiTMetadata } from './metadata';

/** Options of {@link exportOnnx}: metadata to record (default: the model's own BiT metadata). */
export type ExportOnnxOptions = Omit<BuildOnnxOptions, 'rootPool'> & {
  /** @internal see `RootPoolStyle` */
  rootPool?: BuildOnnxOptions['rootPool'];
};

/**
 * Exports a BiT model to ONNX (opset 17) and returns the protobuf bytes: input `image` (NHWC
 * float32 in [0, 1], any batch and size), outputs `logits` (when the model has a head) and
 * `prelogits`. Kernels are weight-standardised once, in float64. Labels, resolution and name
 * go into the ONNX metadata_props. Runs anywhere (no file system); in Node, `saveBiT(model,
 * 'model.onnx')` writes the file atomically.
 * @example
 *   const bytes = await exportOnnx(await loadBiT('BiT-FMNIST-R14x0.5'));
 */
export async function exportOnnx(
  model: tfl.LayersModel,
  options: ExportOnnxOptions = {},
): Promise<Uint8Array> {
  const arrays = new Map<string, NamedArray>();
  for await (const a of exportWeights(model)) arrays.set(a.name, a);
  const meta = getBiTMetadata(model);
  const architecture = inferArchitecture(arrays.values(), model.name);
  const weight = (name: string): NamedArray => {
    const a = arrays.get(name);
    if (!a) throw new OnnxExportError(`exportOnnx: the model has no weight ${name}`);
    return a;
  };
  const name = options.name ?? meta?.source;
  const labels = options.labels !== undefined ? options.labels : (meta?.labels ?? null);
  const resolution = options.resolution ?? meta?.resolution;
  return buildOnnx(architecture, weight, {
    ...options,
    ...(name !== undefined ? { name } : {}),
    labels,
    ...(resolution !== undefined ? { resolution } : {}),
  });
}
