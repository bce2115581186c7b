/**
 * Data-parallel training over worker_threads (tfjs's wasm backend runs one thread in Node):
 * `createTrainWorkers({ workers: N })` is a GradientExecutor for fineTune / pretrain, and what
 * `fineTuneRun` / `pretrainRun` use for their `workers` option. The calling thread is replica 0
 * and keeps the model, the optimizer, the data and the run folder; N - 1 worker threads each hold
 * their own backend and model copy. Before each step the trainable weights are written once into
 * a SharedArrayBuffer that every worker reads; each worker sends back its shard's gradients
 * (transferred, not copied), which are summed here; the optimizer then applies once.
 */
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { BatchSplitPlan } from '@bit/hyperrule';
import { inferArchitecture, modelWeights } from '@bit/models';
import { TrainConfigError } from '../errors';
import {
  planShards,
  sliceBatch,
  type GradientExecutor,
  type GradientSession,
} from '../loop/parallel';
import { accumulateGradients, type AccumulatedGradients, type StepBatch } from '../loop/step';
import type { TrainTarget } from '../loop/target';
import type {
  FromTrainWorker,
  InitMessage,
  StepMessage,
  ToTrainWorker,
  WeightSlot,
} from './train-worker-protocol';
import { copyOut, tensorOfView } from './heap-view';
import { backendImports } from './worker-backend';
import { builtWorkerUrl, checkWorkerCount, startThreads, type WorkerThread } from './worker-thread';

/** Options of {@link createTrainWorkers}. */
export interface TrainWorkersOptions {
  /**
   * Replicas per step: this thread plus `workers - 1` worker threads (default
   * `os.availableParallelism()`; 1 trains in this thread only, as without workers).
   */
  readonly workers?: number;
  /** tfjs backend of the workers (default: this thread's, `tf.getBackend()`, when training starts). */
  readonly backend?: string;
  /**
   * Modules each worker imports before selecting the backend (default: the backend's package,
   * e.g. `@tensorflow/tfjs-backend-wasm` for 'wasm'). On wasm the workers also register
   * `@bit/layers`' training kernels, as the loop does here.
   */
  readonly imports?: readonly string[];
  /** The worker script (default: the built `train-worker.js` / `.cjs` of @bit/train). */
  readonly workerUrl?: string | URL;
}

type Thread = WorkerThread<ToTrainWorker, FromTrainWorker>;

/** What a worker needs to build a copy of `model`: its architecture and every weight's values. */
export function modelCopy(model: tfl.LayersModel): Pick<InitMessage, 'architecture' | 'weights'> {
  const all = modelWeights(model);
  const architecture = inferArchitecture(
    all.map((w) => ({ name: w.name, shape: w.checkpointShape })),
    model.name,
  );
  const weights = all.map((w) => ({
    name: w.name,
    shape: [...w.variable.shape] as number[],
    data: w.variable.read().dataSync() as Float32Array,
  }));
  return { architecture, weights };
}

/** The default replica count: the machine's cores. */
export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism());
}

/** Resolves a `workers` option: a count, or options with one; default the number of cores. */
export function trainWorkersOptions(
  who: string,
  workers: number | TrainWorkersOptions | undefined,
): TrainWorkersOptions {
  const o = typeof workers === 'number' ? { workers } : (workers ?? {});
  if (typeof o !== 'object') {
    throw new TrainConfigError(`${who}: workers must be a number or an options object`);
  }
  return { ...o, workers: checkWorkerCount(who, o.workers ?? defaultWorkerCount()) };
}

class TrainWorkersSession implements GradientSession {
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly threads: Thread[],
    private readonly target: TrainTarget,
    private readonly slots: readonly WeightSlot[],
    private readonly shared: Float32Array,
    /** Per worker thread: the gradients it writes. */
    private readonly gradients: Float32Array[],
  ) {}

  get replicas(): number {
    return this.threads.length + 1;
  }

  async accumulate(batch: StepBatch, split: BatchSplitPlan): Promise<AccumulatedGradients> {
    if (this.closed) throw new TrainConfigError('train workers: the session is closed');
    const shards = planShards(split, this.replicas);
    if (split.batchSize !== batch.shape[0] || shards.length === 1) {
      return accumulateGradients(this.target, batch, split);
    }
    // The weights of this step, once, for every worker.
    this.target.weights.forEach((w, i) => copyOut(w.variable, this.shared, this.slots[i].offset));
    const replies = shards.slice(1).map((shard, i) => {
      const part = sliceBatch(batch, shard.offset, shard.plan.batchSize);
      const inputs = part.inputs.slice();
      const targets = part.targets.slice();
      const id = this.nextId++;
      const message: StepMessage = {
        type: 'step',
        id,
        inputs,
        shape: part.shape,
        targets,
        numClasses: part.numClasses,
        plan: shard.plan,
      };
      return this.threads[i].request(id, message, [
        inputs.buffer as ArrayBuffer,
        targets.buffer as ArrayBuffer,
      ]);
    });
    // A rejection is handled below; keep Node from reporting it as unhandled meanwhile.
    for (const r of replies) r.catch(() => {});
    let own: AccumulatedGradients;
    try {
      own = await accumulateGradients(
        this.target,
        sliceBatch(batch, 0, shards[0].plan.batchSize),
        shards[0].plan,
      );
    } catch (e) {
      await Promise.allSettled(replies);
      throw e;
    }
    let results: FromTrainWorker[];
    try {
      results = await Promise.all(replies);
    } catch (e) {
      tf.dispose([...own.grads.values()]);
      throw e;
    }
    const grads = own.grads;
    let loss = own.loss;
    results.forEach((r, k) => {
      if (r.type !== 'grads') return;
      loss += r.loss;
      this.target.weights.forEach((w, i) => {
        if (!r.has[i]) return;
        const slot = this.slots[i];
        const data = this.gradients[k].subarray(slot.offset, slot.offset + slot.size);
        const prev = grads.get(w.name);
        // The backend's add is ~5x faster than a JS loop over the heap (R50x1's 23.5M
        // gradients: 18-20 vs 83-107 ms).
        const next = tf.tidy(() => {
          const g = tensorOfView(data, slot.shape);
          return prev ? tf.add(prev, g) : g;
        });
        prev?.dispose();
        grads.set(w.name, next);
      });
    });
    return { grads, loss };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.close()));
  }
}

class TrainWorkers implements GradientExecutor {
  readonly replicas: number;

  constructor(private readonly options: TrainWorkersOptions) {
    this.replicas = options.workers!;
  }

  async attach(model: tfl.LayersModel, target: TrainTarget): Promise<GradientSession> {
    const backend = this.options.backend ?? tf.getBackend();
    const imports = [...(this.options.imports ?? backendImports(backend))];
    const url = builtWorkerUrl('train-worker', this.options.workerUrl);
    const { architecture, weights } = modelCopy(model);
    let offset = 0;
    const slots: WeightSlot[] = target.weights.map((w) => {
      const slot = { name: w.name, shape: [...w.variable.shape], offset, size: w.variable.size };
      offset += slot.size;
      return slot;
    });
    const buffer = new SharedArrayBuffer(offset * 4);
    const gradients = Array.from(
      { length: this.replicas - 1 },
      () => new SharedArrayBuffer(offset * 4),
    );
    const threads = await startThreads<ToTrainWorker, FromTrainWorker>(
      url,
      this.replicas - 1,
      'training',
      (index) => {
        const init: InitMessage = {
          type: 'init',
          backend,
          imports,
          architecture,
          mode: target.mode,
          weights,
          slots,
          shared: buffer,
          gradients: gradients[index - 1],
        };
        return { message: init };
      },
    );
    return new TrainWorkersSession(
      threads,
      target,
      slots,
      new Float32Array(buffer),
      gradients.map((g) => new Float32Array(g)),
    );
  }
}

/**
 * A GradientExecutor that shares each step among `workers` replicas (this thread and
 * `workers - 1` worker threads; default one per core). Pass it as fineTune's or pretrain's
 * `gradientExecutor`; the threads start when training starts and stop when it ends (success,
 * abort or error). The update equals one replica's within float tolerance (see `planShards`);
 * a failure in a worker surfaces as a TrainWorkerError.
 * @throws TrainConfigError for a bad `workers`.
 */
export function createTrainWorkers(options: number | TrainWorkersOptions = {}): GradientExecutor {
  return new TrainWorkers(trainWorkersOptions('createTrainWorkers', options));
}
