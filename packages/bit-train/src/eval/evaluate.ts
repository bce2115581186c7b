/** Evaluation of a classifier on a source or a stream of batches: top-1, top-5, mean loss. */
import * as tf from '@tensorflow/tfjs-core';
import {
  createPipeline,
  type Batch,
  type BatchExecutor,
  type DataSource,
  type Resolution,
  type WarningHandler,
} from '@bit/data';
import { getResolution } from '@bit/hyperrule';
import { getBiTMetadata, isEngineModel, type BiTModel } from '@bit/models';
import { TrainConfigError } from '../errors';
import { EvalAccumulator, type EvalResult } from './metrics';

/**
 * Where evaluate's forward passes run (default: this thread). `createInferenceWorkers` in
 * `@bit/train/node` splits each batch among worker threads.
 */
export interface InferenceExecutor {
  /** Logits [n, K] (row-major) of images [n, h, w, 3] float32 in [0, 1]. */
  logits(images: Float32Array, shape: readonly number[]): Promise<Float32Array>;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Images per forward pass (default 64). */
  batchSize?: number;
  /**
   * Eval image side (images are resized straight to it) or a HyperRule resolution (its `crop`
   * is used). Default: the model's metadata `resolution`, else the HyperRule crop for the
   * source's image size.
   */
  resolution?: number | Resolution;
  /** Where image work runs (a worker pool from @bit/data/node). */
  executor?: BatchExecutor;
  /** Where the forward passes run (default this thread; see InferenceExecutor). */
  inference?: InferenceExecutor;
  onWarning?: WarningHandler;
}

function isBatchStream(x: unknown): x is AsyncIterable<Batch> {
  return typeof x === 'object' && x !== null && Symbol.asyncIterator in x;
}

/** The eval side for `source`: from the option, the model's metadata or the HyperRule. */
export function evalResolution(
  model: BiTModel,
  source: DataSource,
  resolution: number | Resolution | undefined,
): number {
  if (typeof resolution === 'number') return resolution;
  if (resolution) return resolution.crop;
  const meta = getBiTMetadata(model)?.resolution;
  if (meta) return meta;
  const { height, width } = source.metadata;
  if (height && width) return getResolution([height, width]).crop;
  throw new TrainConfigError(
    'evaluate: pass resolution (the eval image side): the model has no resolution in its metadata ' +
      'and the source has no fixed image size',
  );
}

/**
 * Evaluates `model` (logits out) on `data`: a DataSource (run through an eval pipeline: resize
 * to the crop, no augmentation, every example once) or any stream of @bit/data batches (index
 * or soft labels). Metrics are accumulated in float64; no tensors are left behind. `model` may
 * be a tfjs model or an engine model (`loadBiT(src, { engine: 'onnx' })` from @bit/models/node).
 */
export async function evaluate(
  model: BiTModel,
  data: DataSource | AsyncIterable<Batch>,
  options: EvaluateOptions = {},
): Promise<EvalResult> {
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new TrainConfigError(`evaluate: batchSize must be a positive integer, got ${batchSize}`);
  }
  let batches: AsyncIterable<Batch>;
  if (isBatchStream(data)) {
    batches = data;
  } else {
    if (!data || typeof (data as DataSource).example !== 'function') {
      throw new TrainConfigError(
        'evaluate: data must be a DataSource or an async iterable of batches',
      );
    }
    const crop = evalResolution(model, data, options.resolution);
    batches = createPipeline(data, {
      batchSize,
      resolution: { precrop: crop, crop },
      mode: 'eval',
      labels: 'index',
      executor: options.executor,
      onWarning: options.onWarning,
    });
  }
  const acc = new EvalAccumulator();
  for await (const b of batches) {
    let values: Float32Array;
    let k: number;
    if (options.inference && !isEngineModel(model)) {
      values = await options.inference.logits(b.images, b.shape);
      k = values.length / b.shape[0];
    } else if (isEngineModel(model)) {
      const r = await model.run(b.images, b.shape, 'logits');
      values = r.data;
      k = r.shape[1];
    } else {
      const logits = tf.tidy(() =>
        model.predict(tf.tensor4d(b.images, [...b.shape], 'float32')),
      ) as tf.Tensor2D;
      k = logits.shape[1];
      values = (await logits.data()) as Float32Array;
      logits.dispose();
    }
    if (k !== b.numClasses) {
      throw new TrainConfigError(
        `evaluate: the model has ${k} outputs but the data has ${b.numClasses} classes`,
      );
    }
    acc.add(values, b.labels, k);
  }
  return acc.result();
}
