/** Seeded He initialisation of a BiT model's conv kernels (the head stays zero). */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { Rng } from '@bit/data';
import { modelWeights } from '@bit/models';
import { HEAD_LAYER } from '../loop/model';

/**
 * Draws every conv kernel from N(0, 2 / fan_in) (He et al.; fan_in = kh * kw * cin) with a seeded
 * generator, so a run from scratch is reproducible; GroupNorm stays at gamma 1, beta 0 and the
 * head at zero (BiT's zero head). Weight standardisation makes the kernels' scale irrelevant to
 * the forward pass, but the seed fixes their directions.
 */
export function heInitialize(model: tfl.LayersModel, seed = 0): void {
  const rng = new Rng(seed);
  for (const w of modelWeights(model)) {
    if (!w.name.endsWith('/kernel') || w.name.startsWith(`${HEAD_LAYER}/`)) continue;
    const shape = w.variable.shape as number[];
    const fanIn = shape.slice(0, -1).reduce((p, d) => p * d, 1);
    const std = Math.sqrt(2 / fanIn);
    const data = new Float32Array(shape.reduce((p, d) => p * d, 1));
    for (let i = 0; i < data.length; i++) data[i] = rng.nextNormal() * std;
    tf.tidy(() => {
      w.variable.write(tf.tensor(data, shape, 'float32'));
    });
  }
}
