/**
 * Inference over worker threads: `createInferenceWorkers(model, { workers: N })` runs predict,
 * features and raw logits on N replicas (this thread and N - 1 worker threads, each with its own
 * backend and copy of the model), splitting the images among them; results come back in input
 * order. Also an InferenceExecutor for `evaluate`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  features,
  getBiTMetadata,
  predict,
  type Prediction,
  type PredictOptions,
} from '@bit/models';
import type { InferenceExecutor } from '../eval/evaluate';
import type {
  FromTrainWorker,
  InferInitMessage,
  InferOp,
  ToTrainWorker,
} from './train-worker-protocol';
import { modelCopy, trainWorkersOptions, type TrainWorkersOptions } from './train-workers';
import { backendImports } from './worker-backend';
import { builtWorkerUrl, startThreads, type WorkerThread } from './worker-thread';

/** Options of {@link createInferenceWorkers}: as for training (replicas, backend, imports). */
export type InferenceWorkersOptions = TrainWorkersOptions;

type Thread = WorkerThread<ToTrainWorker, FromTrainWorker>;

/** One piece of work: images [n, h, w, 3] float32 in [0, 1]. */
interface Part {
  readonly images: Float32Array;
  readonly shape: readonly number[];
}

function rowsOf(t: tf.Tensor): Part {
  const shape = t.rank === 3 ? [1, ...t.shape] : [...t.shape];
  return { images: t.dataSync() as Float32Array, shape };
}

/** Rows [start, end) of a part (a view). */
function slicePart(p: Part, start: number, end: number): Part {
  const per = p.shape.slice(1).reduce((a, d) => a * d, 1);
  return {
    images: p.images.subarray(start * per, end * per),
    shape: [end - start, ...p.shape.slice(1)],
  };
}

/**
 * Replicas of a model for inference. Create with {@link createInferenceWorkers}; `close()` it
 * when done (the threads never keep the process alive on their own while idle).
 */
export class InferenceWorkers implements InferenceExecutor {
  private nextId = 1;
  private closed = false;

  private constructor(
    private readonly model: tfl.LayersModel,
    private readonly threads: Thread[],
  ) {}

  /** @internal use {@link createInferenceWorkers}. */
  static async create(
    model: tfl.LayersModel,
    options: InferenceWorkersOptions,
  ): Promise<InferenceWorkers> {
    const o = trainWorkersOptions('createInferenceWorkers', options);
    const count = o.workers! - 1;
    if (count === 0) return new InferenceWorkers(model, []);
    const backend = o.backend ?? tf.getBackend();
    const init: InferInitMessage = {
      type: 'init-infer',
      backend,
      imports: [...(o.imports ?? backendImports(backend))],
      metadata: getBiTMetadata(model),
      ...modelCopy(model),
    };
    const threads = await startThreads<ToTrainWorker, FromTrainWorker>(
      builtWorkerUrl('train-worker', o.workerUrl),
      count,
      'inference',
      () => ({ message: init }),
    );
    return new InferenceWorkers(model, threads);
  }

  /** Replicas (this thread included). */
  get replicas(): number {
    return this.threads.length + 1;
  }

  /** @bit/models' `predict` of every image of every input, split among the replicas. */
  predict(inputs: readonly tf.Tensor[], options: PredictOptions = {}): Promise<Prediction[][]> {
    return this.map<Prediction>('predict', inputs, options);
  }

  /** @bit/models' `features` (pre-logits) of every image of every input, split among the replicas. */
  features(inputs: readonly tf.Tensor[]): Promise<Float32Array[][]> {
    return this.map<Float32Array>('features', inputs);
  }

  /** Logits [n, K] (row-major) of images [n, h, w, 3], the rows split among the replicas. */
  async logits(images: Float32Array, shape: readonly number[]): Promise<Float32Array> {
    const parts = this.split({ images, shape });
    const out = await Promise.all(parts.map((p, r) => this.run(r, 'logits', p)));
    const arrays = out as Float32Array[];
    const result = new Float32Array(arrays.reduce((a, x) => a + x.length, 0));
    let at = 0;
    for (const a of arrays) {
      result.set(a, at);
      at += a.length;
    }
    return result;
  }

  /** Stops the threads (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.close()));
  }

  /**
   * Runs `op` on every input (an image [h, w, 3] or a batch [n, h, w, 3]); per input, one
   * result per image, in order. With at least as many inputs as replicas, whole inputs go to
   * the replicas in turn; otherwise each input's images are split among them.
   */
  private async map<T>(
    op: 'predict' | 'features',
    inputs: readonly tf.Tensor[],
    options?: PredictOptions,
  ): Promise<T[][]> {
    const parts = inputs.map(rowsOf);
    if (parts.length >= this.replicas) {
      const queues = Array.from({ length: this.replicas }, () => Promise.resolve());
      return Promise.all(
        parts.map((p, i) => {
          const r = i % this.replicas;
          const done = queues[r].then(() => this.run(r, op, p, options) as Promise<T[]>);
          queues[r] = done.then(
            () => {},
            () => {},
          );
          return done;
        }),
      );
    }
    const out: T[][] = [];
    for (const p of parts) {
      const pieces = await Promise.all(
        this.split(p).map((piece, r) => this.run(r, op, piece, options) as Promise<T[]>),
      );
      out.push(pieces.flat());
    }
    return out;
  }

  /** Splits a part's rows into at most `replicas` pieces, sizes as even as possible. */
  private split(p: Part): Part[] {
    const n = p.shape[0];
    const k = Math.max(1, Math.min(this.replicas, n));
    const pieces: Part[] = [];
    let start = 0;
    for (let r = 0; r < k; r++) {
      const size = Math.floor(n / k) + (r < n % k ? 1 : 0);
      pieces.push(slicePart(p, start, start + size));
      start += size;
    }
    return pieces;
  }

  /** Runs `op` on replica `r` (0: this thread). */
  private async run(r: number, op: InferOp, p: Part, options?: PredictOptions): Promise<unknown> {
    if (r === 0) {
      // Let the workers' requests go out first: this thread's work blocks until it is done.
      await Promise.resolve();
      const images = tf.tensor4d(p.images, [...p.shape] as [number, number, number, number]);
      try {
        if (op === 'predict') return await predict(this.model, images, options);
        if (op === 'features') return await features(this.model, images);
        const logits = tf.tidy(() => this.model.predict(images) as tf.Tensor);
        const values = new Float32Array(await logits.data());
        logits.dispose();
        return values;
      } finally {
        images.dispose();
      }
    }
    const images = p.images.slice();
    const id = this.nextId++;
    const reply = await this.threads[r - 1].request(
      id,
      { type: 'infer', id, op, images, shape: p.shape, ...(options ? { options } : {}) },
      [images.buffer as ArrayBuffer],
    );
    return reply.type === 'inferred' ? reply.result : undefined;
  }
}

/**
 * Starts `workers - 1` worker threads holding copies of `model` (its weights now, its BiT
 * metadata) on the same backend; with this thread they make `workers` replicas.
 * @throws TrainConfigError for a bad `workers`, TrainWorkerError when a worker fails to start.
 */
export function createInferenceWorkers(
  model: tfl.LayersModel,
  options: number | InferenceWorkersOptions = {},
): Promise<InferenceWorkers> {
  return InferenceWorkers.create(
    model,
    typeof options === 'number' ? { workers: options } : options,
  );
}
