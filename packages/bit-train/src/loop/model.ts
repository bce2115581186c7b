/** Model plumbing for training: the head, trainable weights, BiT metadata. */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  checkpointNames,
  getBiTMetadata,
  inferArchitecture,
  modelWeights,
  replaceHead,
  setBiTMetadata,
  type BiTMetadata,
} from '@bit/models';
import { TrainConfigError } from '../errors';
import type { TrainableWeight } from '../optimizer/momentum-sgd';

/** Layer name of the classification head (a dense layer); @bit/models' `checkpointNames` owns it. */
export const HEAD_LAYER = checkpointNames.HEAD;
/** Layer name of the pre-logits (global mean pool), from @bit/models' `checkpointNames`. */
export const PRELOGITS_LAYER = checkpointNames.PRELOGITS;

/** The head layer of a BiT model, or undefined when it has none. */
export function findHead(model: tfl.LayersModel): tfl.layers.Layer | undefined {
  return model.layers.find((l) => l.name === HEAD_LAYER);
}

/** Classes of the model's head (0 without a head). */
export function headClasses(model: tfl.LayersModel): number {
  const head = findHead(model);
  if (!head) return 0;
  const shape = head.outputShape as number[];
  return shape[shape.length - 1];
}

/** Checks that `model` looks like a BiT ResNetV2 (has the pre-logits layer). */
export function checkBiTModel(model: unknown, what = 'model'): tfl.LayersModel {
  const m = model as tfl.LayersModel;
  if (
    m === null ||
    typeof m !== 'object' ||
    !Array.isArray(m.layers) ||
    typeof m.predict !== 'function'
  ) {
    throw new TrainConfigError(`${what} must be a tfjs-layers LayersModel (a BiT ResNetV2)`);
  }
  if (!m.layers.some((l) => l.name === PRELOGITS_LAYER)) {
    throw new TrainConfigError(
      `${what} has no layer '${PRELOGITS_LAYER}': not a BiT ResNetV2 built by @bit/models`,
    );
  }
  return m;
}

/**
 * The model to train for `numClasses` classes: the model itself when its head already has
 * `numClasses` outputs (and `newHead` is not asked for), otherwise the same backbone with a new
 * zero-initialised head (BiT's rule).
 */
export function modelForClasses(
  model: tfl.LayersModel,
  numClasses: number,
  newHead = false,
): tfl.LayersModel {
  if (!newHead && headClasses(model) === numClasses) return model;
  return replaceHead(model, numClasses);
}

/**
 * The weights that get gradients: every trainable weight (`'all'`), or the head's only
 * (`'head'`), under their checkpoint names.
 */
export function trainableWeights(model: tfl.LayersModel, which: 'all' | 'head'): TrainableWeight[] {
  const out: TrainableWeight[] = [];
  for (const w of modelWeights(model)) {
    if (!w.variable.trainable) continue;
    if (which === 'head' && !w.name.startsWith(`${HEAD_LAYER}/`)) continue;
    out.push({ name: w.name, variable: w.variable.read() as tf.Variable });
  }
  if (out.length === 0) {
    throw new TrainConfigError(
      which === 'head'
        ? `the model has no trainable weights in '${HEAD_LAYER}'`
        : 'the model has no trainable weights',
    );
  }
  return out;
}

/** BiT metadata for a fine-tuned model: its architecture, class names and resolution. */
export function tagFineTuned(
  model: tfl.LayersModel,
  labels: readonly string[],
  resolution: number,
): BiTMetadata {
  const previous = getBiTMetadata(model);
  const architecture = inferArchitecture(
    modelWeights(model).map((w) => ({ name: w.name, shape: w.checkpointShape })),
    model.name,
  );
  const meta: BiTMetadata = {
    ...(previous?.source !== undefined ? { source: previous.source } : {}),
    architecture,
    labels: [...labels],
    resolution,
  };
  setBiTMetadata(model, meta);
  return meta;
}

/**
 * Frees the standardised-kernel caches that inference (evaluation) leaves in the model's
 * StandardizedConv2D layers; during full fine-tuning they go stale at the next update anyway.
 */
export function releaseInferenceCaches(model: tfl.LayersModel): void {
  for (const layer of model.layers) {
    const l = layer as unknown as { clearStandardizedKernelCache?: () => void };
    if (typeof l.clearStandardizedKernelCache === 'function') l.clearStandardizedKernelCache();
  }
}
