import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { HEAD } from '../architecture/names';
import { CheckpointMismatchError, type LayoutEntry } from './layout';

/** A named float32 array in the official layout (HWIO kernels, 1-D GN params). */
export interface NamedArray {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Anything that lists named arrays and reads them one at a time (an open .npz, a Map, ...). */
export interface NamedArraySource {
  readonly name: string;
  readonly entries: readonly LayoutEntry[];
  read(name: string): Promise<NamedArray>;
}

/** One model weight with its checkpoint name. */
export interface ModelWeight {
  readonly name: string;
  readonly variable: tfl.LayerVariable;
  /** Shape in the checkpoint (the head kernel is [1, 1, C, K] there, [C, K] in the model). */
  readonly checkpointShape: readonly number[];
}

/** The model's weights under their checkpoint names (`<layer name>/<kernel|bias|gamma|beta>`). */
export function modelWeights(model: tfl.LayersModel): ModelWeight[] {
  const out: ModelWeight[] = [];
  for (const layer of model.layers) {
    for (const variable of layer.weights) {
      const name = checkpointName(layer.name, variable);
      const shape = variable.shape as number[];
      const checkpointShape =
        name === `${HEAD}/kernel` && shape.length === 2 ? [1, 1, ...shape] : shape;
      out.push({ name, variable, checkpointShape });
    }
  }
  return out;
}

/**
 * Loads every weight of `model` from `source`, one array at a time (peak memory: the model plus
 * one array). Names and shapes are checked first; a mismatch lists missing, unexpected and
 * mis-shaped names.
 */
export async function loadWeightsInto(
  model: tfl.LayersModel,
  source: NamedArraySource,
): Promise<void> {
  const weights = modelWeights(model);
  const available = new Map(source.entries.map((e) => [e.name, e.shape]));
  const missing: string[] = [];
  const misshaped: Array<{ name: string; expected: number[]; actual: number[] }> = [];
  for (const w of weights) {
    const shape = available.get(w.name);
    if (!shape) missing.push(w.name);
    else if (!sameShape(shape, w.checkpointShape)) {
      misshaped.push({ name: w.name, expected: [...w.checkpointShape], actual: [...shape] });
    }
  }
  const wanted = new Set(weights.map((w) => w.name));
  const unexpected = [...available.keys()].filter((n) => !wanted.has(n));
  if (missing.length || unexpected.length || misshaped.length) {
    throw new CheckpointMismatchError(source.name, missing, unexpected, misshaped);
  }
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const values: tf.Tensor[] = [];
    for (const variable of layer.weights) {
      const array = await source.read(checkpointName(layer.name, variable));
      values.push(tf.tensor(array.data, variable.shape as number[], 'float32'));
    }
    // setWeights (not variable.write) so layers that cache derived weights see the change.
    layer.setWeights(values);
    tf.dispose(values);
  }
}

/** The model's weights as named arrays in the official layout, one at a time (for writers). */
export async function* exportWeights(model: tfl.LayersModel): AsyncGenerator<NamedArray> {
  for (const w of modelWeights(model)) {
    const data = (await w.variable.read().data()) as Float32Array;
    yield { name: w.name, shape: w.checkpointShape, data };
  }
}

function checkpointName(layerName: string, variable: tfl.LayerVariable): string {
  return `${layerName}/${variable.originalName.split('/').pop()}`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
