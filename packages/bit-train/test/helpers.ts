/** Shared test helpers: a tiny BiT, toy datasets, weight snapshots. */
import { fromArrays, type DataSource } from '@bit/data';
import { buildResNetV2 } from '@bit/models';
import type * as tfl from '@tensorflow/tfjs-layers';
import { tf } from '../../../test-utils/backends';

/** A deterministic uniform generator (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The smallest BiT: units [1,1,1,1], width 0.5 (32 root channels: GroupNorm's 32 groups fit),
 * with deterministic weights (conv kernels uniform in [-0.25, 0.25) from `seed`, GroupNorm
 * gamma 1 and beta 0, a zero head), independent of tfjs' random initialisers.
 */
export function tinyBiT(numClasses: number, seed = 1): tfl.LayersModel {
  const model = buildResNetV2({ units: [1, 1, 1, 1], width: 0.5, numClasses });
  const next = seeded(seed);
  for (const layer of model.layers) {
    const weights = layer.getWeights();
    if (!weights.length) continue;
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

/** Every weight of the model as a copy (layer weights in order). */
export function snapshot(model: tfl.LayersModel): Float32Array[] {
  return model.weights.map((w) => (w.read().dataSync() as Float32Array).slice());
}

/** Largest absolute difference between two snapshots. */
export function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((x, i) => x.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i][j])))));
  return m;
}

/**
 * Solid-colour images (red, green, blue, ...) with uniform noise: `perClass` images per class,
 * `size` x `size` pixels, uint8.
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
