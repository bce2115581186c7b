/**
 * Float16 storage of a model's weights, in the tfjs converter's convention: the weight's
 * spec keeps `dtype: 'float32'` and gains `quantization: { dtype: 'float16' }`; its bytes are
 * IEEE half floats (little-endian). `tf.io.decodeWeights` turns them back into float32 on load.
 */
import * as tf from '@tensorflow/tfjs-core';

import { float32ToFloat16 } from '../npz/float16';
import { TfjsFormatError } from './errors';
import { weightByteLength, weightsByteLength } from './manifest';
import { weightDataByteLength } from './shards';

/** Smallest magnitude that rounds to ±Infinity in float16 (halfway past 65504, the largest). */
const FLOAT16_OVERFLOW = 65520;

/** True when a finite value of `values` would round to ±Infinity in float16. */
function overflowsFloat16(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (a >= FLOAT16_OVERFLOW && a !== Infinity) return true;
  }
  return false;
}

/**
 * Rewrites the weights of `weightSpecs`/`weightData` to float16 (round to nearest, ties to
 * even). Only plain float32 weights are converted; int32/bool/string weights, weights that are
 * already quantised, and float32 weights with a finite value of magnitude 65520 or more (which
 * would round to ±Infinity) are copied unchanged.
 * @param source name used in error messages (the save target).
 * @returns new specs and the weight data as a list of buffers (one per weight).
 * @throws TfjsFormatError `bad-artifacts` when the data's length differs from the specs'.
 */
export function quantizeWeightsToFloat16(
  weightSpecs: readonly tf.io.WeightsManifestEntry[],
  weightData: tf.io.WeightData,
  source: string,
): { weightSpecs: tf.io.WeightsManifestEntry[]; weightData: ArrayBuffer[] } {
  const total = weightDataByteLength(weightData);
  const expected = weightsByteLength(weightSpecs);
  if (expected === undefined) {
    // String weights have data-dependent sizes; a BiT model has none, so keep it simple.
    throw new TfjsFormatError(
      'bad-artifacts',
      source,
      'float16 saving does not support string weights',
    );
  }
  if (expected !== total) {
    throw new TfjsFormatError(
      'bad-artifacts',
      source,
      `weight data holds ${total} bytes but the weight specs need ${expected}`,
    );
  }
  const data = new tf.io.CompositeArrayBuffer(weightData);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: ArrayBuffer[] = [];
  let offset = 0;
  for (const spec of weightSpecs) {
    const bytes = weightByteLength(spec) as number;
    const raw = data.slice(offset, offset + bytes);
    offset += bytes;
    if (spec.dtype === 'float32' && spec.quantization === undefined) {
      const values = new Float32Array(raw);
      if (!overflowsFloat16(values)) {
        specs.push({ ...spec, quantization: { dtype: 'float16' } });
        parts.push(float32ToFloat16(values).buffer as ArrayBuffer);
        continue;
      }
    }
    specs.push({ ...spec });
    parts.push(raw);
  }
  return { weightSpecs: specs, weightData: parts };
}
