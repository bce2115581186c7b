/**
 * Inference engines other than tfjs (onnxruntime in `@bit/models/node`) behind the same
 * predict / features / classify API. Isomorphic: only the interface and helpers live here.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { featureDim } from '../architecture/spec';
import type { BiTMetadata } from './metadata';

/** Which output of the network to compute. */
export type EngineOutput = 'logits' | 'prelogits';

/** A [rows, columns] float32 result of an engine run. */
export interface EngineResult {
  readonly data: Float32Array;
  readonly shape: readonly [number, number];
}

/**
 * A BiT model running in an engine other than tfjs (e.g. `OnnxBiTModel`). It takes NHWC
 * float32 pixels in [0, 1], exactly like the tfjs model; `predict`, `features`, `classify`,
 * `resolveDataConfig` and `@bit/train`'s `evaluate` accept it wherever they take a tfjs model.
 */
export interface BiTEngineModel {
  /** The engine's name (`onnx`). */
  readonly engine: string;
  /** Architecture, labels, resolution and source, as a tfjs model's BiT metadata. */
  readonly metadata: BiTMetadata;
  /** Runs one batch: `images` is [n, h, w, 3] float32 in [0, 1] (row-major NHWC). */
  run(
    images: Float32Array,
    shape: readonly [number, number, number, number],
    output?: EngineOutput,
  ): Promise<EngineResult>;
  /** Frees the engine's resources (the model cannot be used afterwards). */
  dispose(): Promise<void>;
}

/** A BiT model in any engine: a tfjs LayersModel or a {@link BiTEngineModel}. */
export type BiTModel = tfl.LayersModel | BiTEngineModel;

/** True for a {@link BiTEngineModel} (not a tfjs LayersModel). */
export function isEngineModel(model: unknown): model is BiTEngineModel {
  return (
    typeof model === 'object' &&
    model !== null &&
    typeof (model as BiTEngineModel).engine === 'string' &&
    typeof (model as BiTEngineModel).run === 'function'
  );
}

/** Disposes a model of any engine (tfjs models synchronously, engines when their work ends). */
export async function disposeModel(model: BiTModel): Promise<void> {
  if (isEngineModel(model)) await model.dispose();
  else model.dispose();
}

/** Width of a model's output, for any engine: its classes, or the features of a headless one. */
export function headClasses(model: BiTModel): number {
  if (isEngineModel(model)) {
    const arch = model.metadata.architecture;
    return arch.numClasses > 0 ? arch.numClasses : featureDim(arch);
  }
  const shape = model.outputs[0].shape;
  return shape[shape.length - 1] ?? 0;
}
