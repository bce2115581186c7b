/** Shared test helpers: a tiny BiT, toy datasets (isomorphic, in test-utils), weight snapshots. */
import type * as tfl from '@tensorflow/tfjs-layers';
import '../../../test-utils/backends';

export { colourSource, seeded, tinyBiT } from '../../../test-utils/tiny-bit';

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
