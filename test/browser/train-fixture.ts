/**
 * The fine-tuning case the browser training test runs in Chromium and, for reference, in Node:
 * the smallest BiT (units 1-1-1-1, width 0.5) with weights from a seeded generator, a toy
 * three-colour dataset, and the fineTune options of each mode. Isomorphic: the browser entry and
 * the Node side import this same file, so both start from the same numbers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { colourSource, tinyBiT } from '../../test-utils/tiny-bit';
import { fineTune, type FineTuneOptions } from '@bit/train';

/** What a case varies. */
export interface TrainCase {
  readonly mode: 'full' | 'head';
  readonly steps: number;
  readonly seed: number;
}

/** What a case measures. */
export interface TrainCaseResult {
  readonly backend: string;
  readonly losses: number[];
  readonly lrs: number[];
  readonly status: string;
  readonly ms: number;
  readonly tensors: { readonly before: number; readonly after: number };
}

const CLASSES = 3;
const SIZE = 16;

/** fineTune options of a case (HyperRule schedule rescaled to `steps`; crop and flip on). */
export function caseOptions(c: TrainCase): Omit<FineTuneOptions, 'model' | 'train'> {
  return {
    steps: c.steps,
    batchSize: 4,
    baseLr: c.mode === 'head' ? 0.3 : 0.03,
    seed: c.seed,
    resolution: { precrop: 20, crop: SIZE },
    headOnly: c.mode === 'head',
  };
}

/** Runs a case on the active backend. */
export async function runTrainCase(c: TrainCase): Promise<TrainCaseResult> {
  const before = tf.memory().numTensors;
  const model = tinyBiT(CLASSES, 1, { zeroHead: true });
  const losses: number[] = [];
  const lrs: number[] = [];
  const t0 = performance.now();
  const result = await fineTune({
    model,
    train: colourSource(4, SIZE, 2),
    ...caseOptions(c),
    onWarning: () => undefined,
    callbacks: {
      onStepEnd: (m) => {
        losses.push(m.loss);
        lrs.push(m.lr);
      },
    },
  });
  const ms = performance.now() - t0;
  // The class count matches, so fineTune trains `model` itself (no new head).
  if (result.model !== model) throw new Error('fineTune made a new model for a matching head');
  model.dispose();
  return {
    backend: tf.getBackend(),
    losses,
    lrs,
    status: result.status,
    ms,
    tensors: { before, after: tf.memory().numTensors },
  };
}
