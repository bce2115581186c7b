/**
 * Training batches for the loop, from the image pipeline of @bit/data or from precomputed
 * features. Both are seeded and resumable from a `PipelineState` (order, augmentation and MixUp
 * lambda), so a checkpoint's state restarts the data exactly where it stopped.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  BatchPlanner,
  createPipeline,
  mixupRowsInPlace,
  oneHot,
  type BatchExecutor,
  type DataSource,
  type PipelineOptions,
  type PipelineState,
  type Resolution,
  type WarningHandler,
} from '@bit/data';
import { featureExtractor } from '@bit/models';
import type { StepBatch } from '../loop/step';

/** A training batch with the data state after it. */
export interface TrainBatch extends StepBatch {
  /** Examples in the batch. */
  readonly size: number;
  /** The MixUp lambda of this optimizer step (1 without MixUp). */
  readonly lambda: number;
  /** Data state after this batch (resume from it to get the next batch). */
  readonly state: PipelineState;
}

/** Yields training batches until the data ends (never, for the default endless training data). */
export interface BatchProvider {
  next(): Promise<TrainBatch | undefined>;
  close(): Promise<void>;
}

/** Options of {@link imageBatches}. */
export interface ImageBatchOptions {
  readonly batchSize: number;
  readonly resolution: Resolution;
  readonly seed: number;
  readonly mixupAlpha: number;
  readonly crop?: boolean;
  readonly cropArea?: PipelineOptions['cropArea'];
  readonly flip?: boolean;
  readonly augmentations?: PipelineOptions['augmentations'];
  readonly state?: PipelineState;
  readonly prefetch?: number;
  readonly executor?: BatchExecutor;
  readonly onWarning?: WarningHandler;
}

/** Batches of augmented images with one-hot (MixUp-mixed) targets from @bit/data's pipeline. */
export function imageBatches(source: DataSource, o: ImageBatchOptions): BatchProvider {
  const pipeline = createPipeline(source, {
    batchSize: o.batchSize,
    resolution: o.resolution,
    mode: 'train',
    seed: o.seed,
    crop: o.crop,
    cropArea: o.cropArea,
    flip: o.flip,
    augmentations: o.augmentations,
    mixup: o.mixupAlpha,
    labels: 'onehot',
    state: o.state,
    prefetch: o.prefetch,
    executor: o.executor,
    onWarning: o.onWarning,
  });
  const it = pipeline[Symbol.asyncIterator]();
  return {
    async next() {
      const r = await it.next();
      if (r.done) return undefined;
      const b = r.value;
      return {
        inputs: b.images,
        shape: b.shape,
        targets: b.labels as Float32Array,
        numClasses: b.numClasses,
        size: b.size,
        lambda: b.lambda,
        state: b.state,
      };
    },
    async close() {
      await it.return?.(undefined);
    },
  };
}

/** Features of a whole source, one row per example that decoded. */
export interface FeatureSet {
  /** [count, dim] row-major. */
  readonly features: Float32Array;
  readonly dim: number;
  readonly count: number;
  /** Class index of each row. */
  readonly labels: Int32Array;
  readonly numClasses: number;
}

/** Options of {@link computeFeatures}. */
export interface ComputeFeaturesOptions {
  readonly batchSize: number;
  /** Images are resized to `crop` (eval transform). */
  readonly resolution: Resolution;
  readonly executor?: BatchExecutor;
  readonly onWarning?: WarningHandler;
}

/**
 * Pre-logits features of every example of `source` (eval transform: resized to the crop size,
 * no augmentation), computed once through the model's frozen backbone.
 */
export async function computeFeatures(
  model: tfl.LayersModel,
  source: DataSource,
  o: ComputeFeaturesOptions,
): Promise<FeatureSet> {
  const extractor = featureExtractor(model);
  const pipeline = createPipeline(source, {
    batchSize: o.batchSize,
    resolution: o.resolution,
    mode: 'eval',
    labels: 'index',
    executor: o.executor,
    onWarning: o.onWarning,
  });
  const chunks: Float32Array[] = [];
  const labels: number[] = [];
  let dim = 0;
  for await (const b of pipeline) {
    const f = tf.tidy(() =>
      extractor.predict(tf.tensor4d(b.images, [...b.shape], 'float32')),
    ) as tf.Tensor2D;
    dim = f.shape[1];
    chunks.push((await f.data()) as Float32Array);
    f.dispose();
    for (const l of b.labels as Int32Array) labels.push(l);
  }
  const count = labels.length;
  const features = new Float32Array(count * dim);
  let at = 0;
  for (const c of chunks) {
    features.set(c, at);
    at += c.length;
  }
  return {
    features,
    dim,
    count,
    labels: Int32Array.from(labels),
    numClasses: source.metadata.classes.length,
  };
}

/** Options of {@link featureBatches}. */
export interface FeatureBatchOptions {
  readonly batchSize: number;
  readonly seed: number;
  readonly mixupAlpha: number;
  readonly state?: PipelineState;
}

/**
 * Batches of precomputed feature rows, ordered like the image pipeline (a fresh permutation per
 * epoch, or sampling with replacement when the set is smaller than a batch), with MixUp applied
 * to the features and targets (one lambda per step).
 */
export function featureBatches(set: FeatureSet, o: FeatureBatchOptions): BatchProvider {
  const planner = new BatchPlanner(
    {
      size: set.count,
      seed: o.seed,
      order: set.count < o.batchSize ? 'replacement' : 'shuffle',
      epochs: Infinity,
      transform: { mode: 'eval', resolution: { precrop: 1, crop: 1 } },
      mixupAlpha: o.mixupAlpha,
      mixupEvery: 1,
    },
    o.state,
  );
  const { dim, numClasses: k } = set;
  return {
    async next() {
      const lambda = planner.nextLambda();
      const inputs = new Float32Array(o.batchSize * dim);
      const labels = new Int32Array(o.batchSize);
      for (let i = 0; i < o.batchSize; i++) {
        const item = planner.nextItem()!;
        inputs.set(set.features.subarray(item.index * dim, (item.index + 1) * dim), i * dim);
        labels[i] = set.labels[item.index];
      }
      const targets = oneHot(labels, k);
      if (lambda !== 1) {
        mixupRowsInPlace(inputs, o.batchSize, lambda);
        mixupRowsInPlace(targets, o.batchSize, lambda);
      }
      return {
        inputs,
        shape: [o.batchSize, dim],
        targets,
        numClasses: k,
        size: o.batchSize,
        lambda,
        state: planner.getState(),
      };
    },
    async close() {},
  };
}
