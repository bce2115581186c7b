/**
 * Isomorphic test helpers (Node suites and the browser test bundles): a seeded generator, the
 * smallest BiT with deterministic weights, and a toy colour dataset. No backend is picked here.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { fromArrays, type DataSource } from '@bit/data';
import { buildResNetV2 } from '@bit/models';
import { seeded } from './seeded';

export { seeded };

/** Options of {@link tinyBiT}. */
export interface TinyBiTOptions {
  /** Keep the head zero-initialised, as fineTune's new heads are (default false: seeded too). */
  readonly zeroHead?: boolean;
}

/**
 * The smallest BiT: units [1,1,1,1], width 0.5 (32 root channels: GroupNorm's 32 groups fit),
 * with deterministic weights (conv kernels uniform in [-0.25, 0.25) from `seed`, GroupNorm
 * gamma 1 and beta 0, biases 0), independent of tfjs' random initialisers.
 */
export function tinyBiT(
  numClasses: number,
  seed = 1,
  { zeroHead = false }: TinyBiTOptions = {},
): tfl.LayersModel {
  const model = buildResNetV2({ units: [1, 1, 1, 1], width: 0.5, numClasses });
  const next = seeded(seed);
  for (const layer of model.layers) {
    const weights = layer.getWeights();
    if (weights.length === 0 || (zeroHead && layer.name.startsWith('resnet/head'))) continue;
    const isGroupNorm = layer.getClassName() === 'GroupNormalization';
    const values = weights.map((w, i) => {
      const data = new Float32Array(w.size);
      if (w.rank === 4) for (let j = 0; j < data.length; j++) data[j] = (next() - 0.5) * 0.5;
      else if (isGroupNorm && i === 0) data.fill(1);
      return tf.tensor(data, w.shape, 'float32');
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
  return model;
}

/**
 * Solid-colour images (red, green, blue, ...) with uniform noise of ±`noise`: `perClass` images
 * per class, `size` x `size` pixels, uint8.
 */
export function colourSource(
  perClass: number,
  size: number,
  seed: number,
  colours: readonly [number, number, number][] = [
    [220, 30, 30],
    [30, 200, 40],
    [40, 40, 220],
  ],
  noise = 60,
): DataSource {
  const next = seeded(seed);
  const n = perClass * colours.length;
  const images = new Uint8Array(n * size * size * 3);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % colours.length;
    labels.push(c);
    for (let p = 0; p < size * size; p++) {
      for (let ch = 0; ch < 3; ch++) {
        const v = colours[c][ch] + (next() - 0.5) * 2 * noise;
        images[(i * size * size + p) * 3 + ch] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return fromArrays({
    images,
    shape: [n, size, size, 3],
    labels,
    classes: ['red', 'green', 'blue', 'yellow', 'cyan'].slice(0, colours.length),
  });
}
