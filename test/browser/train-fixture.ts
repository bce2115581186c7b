/**
 * The fine-tuning case the browser training test runs in Chromium and, for reference, in Node:
 * the smallest BiT (units 1-1-1-1, width 0.5) with weights from a seeded generator, a toy
 * three-colour dataset, and the fineTune options of each mode. Isomorphic: the browser entry and
 * the Node side import this same file, so both start from the same numbers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fromArrays, type DataSource } from '@bit/data';
import { buildResNetV2 } from '@bit/models';
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

/** mulberry32: a small deterministic uniform generator. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CLASSES = 3;
const SIZE = 16;

function tinyModel(seed: number) {
  const model = buildResNetV2({ units: [1, 1, 1, 1], width: 0.5, numClasses: CLASSES });
  const next = seeded(seed);
  for (const layer of model.layers) {
    const weights = layer.getWeights();
    // The head stays zero-initialised (as fineTune's new heads are).
    if (weights.length === 0 || layer.name.startsWith('resnet/head')) continue;
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

function colourSource(perClass: number, seed: number): DataSource {
  const colours = [
    [220, 30, 30],
    [30, 200, 40],
    [40, 40, 220],
  ];
  const next = seeded(seed);
  const n = perClass * CLASSES;
  const images = new Uint8Array(n * SIZE * SIZE * 3);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % CLASSES;
    labels.push(c);
    for (let p = 0; p < SIZE * SIZE; p++) {
      for (let ch = 0; ch < 3; ch++) {
        const v = colours[c][ch] + (next() - 0.5) * 120;
        images[(i * SIZE * SIZE + p) * 3 + ch] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return fromArrays({
    images,
    shape: [n, SIZE, SIZE, 3],
    labels,
    classes: ['red', 'green', 'blue'],
  });
}

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
  const model = tinyModel(1);
  const losses: number[] = [];
  const lrs: number[] = [];
  const t0 = performance.now();
  const result = await fineTune({
    model,
    train: colourSource(4, 2),
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
