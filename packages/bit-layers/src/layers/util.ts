/** Small helpers shared by the layers. */
import type * as tf from '@tensorflow/tfjs-core';
import type { Shape } from '@tensorflow/tfjs-layers';
import { BitLayersError, LayerConfigError } from '../errors';

/** The single tensor of a layer call (a one-element list is unwrapped). */
export function onlyTensor(inputs: tf.Tensor | tf.Tensor[], layer: string): tf.Tensor {
  if (!Array.isArray(inputs)) return inputs;
  if (inputs.length !== 1) {
    throw new BitLayersError(`${layer}: expects exactly one input tensor, got ${inputs.length}.`);
  }
  return inputs[0];
}

/** The single shape of a layer's input (a one-element list of shapes is unwrapped). */
export function onlyShape(shape: Shape | Shape[], layer: string): Shape {
  if (Array.isArray(shape) && (shape.length === 0 || Array.isArray(shape[0]))) {
    const list = shape as Shape[];
    if (list.length !== 1) {
      throw new BitLayersError(`${layer}: expects exactly one input shape, got ${list.length}.`);
    }
    return list[0];
  }
  return shape as Shape;
}

/** `[n, n]` for a number, a copy of a 2-tuple otherwise (validated). */
export function pair(value: number | readonly number[], field: string): [number, number] {
  const tuple = typeof value === 'number' ? [value, value] : [...value];
  if (tuple.length !== 2 || !tuple.every((v) => Number.isInteger(v) && v >= 1)) {
    throw new LayerConfigError(
      `${field}: expected a positive integer or a pair of them, got ${JSON.stringify(value)}.`,
    );
  }
  return tuple as [number, number];
}
