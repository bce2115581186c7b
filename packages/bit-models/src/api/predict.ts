import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { PRELOGITS } from '../architecture/names';
import { getLabels } from '../labels/index';
import { isEngineModel, type BiTEngineModel, type BiTModel, type EngineOutput } from './engine';
import { getBiTMetadata } from './metadata';
import { type ImageInput, imageBatches } from './inputs';

/** One class in a prediction. */
export interface TopClass {
  /** Class index (the head's output unit). */
  index: number;
  /** Class name, when the model (or `labels`) has them. */
  label: string | null;
  /** Softmax probability (or sigmoid / logit, see `scores`). */
  score: number;
}

/** Prediction for one image. */
export interface Prediction {
  top: TopClass[];
  /** Raw logits, when asked for with `{ logits: true }`. */
  logits?: number[];
}

/** Options of {@link predict}. */
export interface PredictOptions {
  /** How many classes to return per image (default 5). */
  topK?: number;
  /** Class names, a registered label set name, or null for none (default: the model's own). */
  labels?: string | readonly string[] | null;
  /** Scores: softmax (default), sigmoid (BiT-M's 21k heads were trained with sigmoid), or raw logits. */
  scores?: 'softmax' | 'sigmoid' | 'logits';
  /** Also return the raw logits. */
  logits?: boolean;
  /** Images per forward pass (default 16). */
  batchSize?: number;
}

/** Resolves class names from options or the model's metadata. */
export async function resolveLabels(
  model: BiTModel,
  labels: PredictOptions['labels'],
): Promise<readonly string[] | null> {
  const spec = labels === undefined ? (getBiTMetadata(model)?.labels ?? null) : labels;
  if (spec === null) return null;
  return typeof spec === 'string' ? getLabels(spec) : spec;
}

/**
 * Classifies image tensors (any size, no resizing: see `classify` for files, URLs and elements)
 * and returns the top-K classes of each, with class names. Integer tensors are 0–255 pixels;
 * float tensors must lie in [0, 1] (else a PixelRangeError). Batched and leak-free.
 * @example
 *   const [p] = await predict(model, tf.randomUniform([1, 224, 224, 3]), { topK: 5 });
 */
export async function predict(
  model: BiTModel,
  images: ImageInput,
  options: PredictOptions = {},
): Promise<Prediction[]> {
  const { topK = 5, scores = 'softmax', batchSize = 16 } = options;
  const names = await resolveLabels(model, options.labels);
  const out: Prediction[] = [];
  for await (const batch of imageBatches(images, batchSize)) {
    let raw: tf.Tensor2D;
    try {
      raw = isEngineModel(model)
        ? await engineForward(model, batch, 'logits')
        : tf.tidy(() => model.predict(batch) as tf.Tensor2D);
    } finally {
      batch.dispose();
    }
    const logits = raw;
    const probs =
      scores === 'softmax'
        ? tf.softmax(logits)
        : scores === 'sigmoid'
          ? tf.sigmoid(logits)
          : logits;
    const k = Math.min(topK, logits.shape[1]);
    const { values, indices } = tf.topk(probs, k);
    const [v, i, l] = await Promise.all([values.array(), indices.array(), logits.array()]);
    tf.dispose([logits, probs, values, indices]);
    for (let r = 0; r < v.length; r++) {
      out.push({
        top: v[r].map((score, j) => ({ index: i[r][j], label: names?.[i[r][j]] ?? null, score })),
        ...(options.logits ? { logits: l[r] } : {}),
      });
    }
  }
  return out;
}

/** One batch through an engine model, as a tensor (the caller disposes it). */
async function engineForward(
  model: BiTEngineModel,
  batch: tf.Tensor4D,
  output: EngineOutput,
): Promise<tf.Tensor2D> {
  const [n, h, w, c] = batch.shape;
  const r = await model.run((await batch.data()) as Float32Array, [n, h, w, c], output);
  return tf.tensor2d(r.data, [...r.shape]);
}

const featureModels = new WeakMap<tfl.LayersModel, tfl.LayersModel>();

/** The sub-model that outputs pre-logits (shares the weights). */
export function featureExtractor(model: tfl.LayersModel): tfl.LayersModel {
  let sub = featureModels.get(model);
  if (!sub) {
    const layer = model.getLayer(PRELOGITS);
    sub =
      layer === model.layers[model.layers.length - 1]
        ? model
        : tfl.model({ inputs: model.inputs, outputs: layer.output as tfl.SymbolicTensor });
    featureModels.set(model, sub);
  }
  return sub;
}

/** Options of {@link features}. */
export interface FeaturesOptions {
  /** Images per forward pass (default 16). */
  batchSize?: number;
}

/**
 * Pre-logits features (the global mean of the last block), one Float32Array per image; inputs
 * as for {@link predict}.
 */
export async function features(
  model: BiTModel,
  images: ImageInput,
  options: FeaturesOptions = {},
): Promise<Float32Array[]> {
  const extractor = isEngineModel(model) ? undefined : featureExtractor(model);
  const out: Float32Array[] = [];
  for await (const batch of imageBatches(images, options.batchSize ?? 16)) {
    let f: tf.Tensor2D;
    try {
      f = extractor
        ? (extractor.predict(batch) as tf.Tensor2D)
        : await engineForward(model as BiTEngineModel, batch, 'prelogits');
    } finally {
      batch.dispose();
    }
    const data = (await f.data()) as Float32Array;
    const [n, d] = f.shape;
    f.dispose();
    for (let r = 0; r < n; r++) out.push(data.slice(r * d, (r + 1) * d));
  }
  return out;
}
