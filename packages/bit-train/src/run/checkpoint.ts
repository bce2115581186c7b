/** Taking a checkpoint of a training run and restoring one into a model and optimizer. */
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  exportWeights,
  loadWeightsInto,
  type NamedArray,
  type NamedArraySource,
} from '@bit/models';
import type { MomentumSgd } from '../optimizer/momentum-sgd';
import type { CheckpointState, TrainCheckpoint } from './types';

/** Named arrays as a NamedArraySource (what @bit/models' loaders read). */
export function arraysAsSource(name: string, arrays: readonly NamedArray[]): NamedArraySource {
  const byName = new Map(arrays.map((a) => [a.name, a]));
  return {
    name,
    entries: arrays.map((a) => ({ name: a.name, shape: a.shape })),
    read: async (n) => {
      const a = byName.get(n);
      if (!a) throw new Error(`${name}: no array ${n}`);
      return a;
    },
  };
}

/** The model's weights, the optimizer's buffers and `state`, as a checkpoint. */
export async function captureCheckpoint(
  model: tfl.LayersModel,
  optimizer: MomentumSgd,
  state: CheckpointState,
): Promise<TrainCheckpoint> {
  const weights: NamedArray[] = [];
  for await (const w of exportWeights(model)) weights.push(w);
  return { state, weights, slots: await optimizer.getSlots() };
}

/**
 * Loads a checkpoint's weights into `model` (names and shapes checked: a mismatch throws
 * CheckpointMismatchError listing them) and its buffers into `optimizer`.
 */
export async function restoreCheckpoint(
  checkpoint: TrainCheckpoint,
  model: tfl.LayersModel,
  optimizer: MomentumSgd,
): Promise<void> {
  await loadWeightsInto(model, arraysAsSource('checkpoint', checkpoint.weights));
  optimizer.setSlots(checkpoint.slots);
}
