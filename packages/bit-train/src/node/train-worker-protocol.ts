/** Messages between the main thread and the worker threads of data-parallel training. */
import type { BiTArchitecture, BiTMetadata, PredictOptions } from '@bit/models';
import type { BatchSplitPlan } from '@bit/hyperrule';
import type { TrainMode } from '../loop/target';

/** A weight's place in the shared weight buffer (float32 elements). */
export interface WeightSlot {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
}

/** Sets up a worker: backend, model copy, training target, shared weights. */
export interface InitMessage {
  readonly type: 'init';
  readonly backend: string;
  readonly imports: readonly string[];
  readonly architecture: BiTArchitecture;
  readonly mode: TrainMode;
  /** Every weight of the model at the start (checkpoint names, model shapes). */
  readonly weights: readonly { name: string; shape: number[]; data: Float32Array }[];
  /** The trainable weights, in the target's order, in `shared`. */
  readonly slots: readonly WeightSlot[];
  /** float32 weights of the trainable slots, written by the main thread before each step. */
  readonly shared: SharedArrayBuffer;
  /** This worker's float32 gradients, laid out as `shared`, written before it replies. */
  readonly gradients: SharedArrayBuffer;
}

/** Computes one shard's gradients at the weights in the shared buffer. */
export interface StepMessage {
  readonly type: 'step';
  readonly id: number;
  readonly inputs: Float32Array;
  readonly shape: readonly number[];
  readonly targets: Float32Array;
  readonly numClasses: number;
  readonly plan: BatchSplitPlan;
}

/** Sets up an inference worker: backend and model copy (with its BiT metadata). */
export interface InferInitMessage {
  readonly type: 'init-infer';
  readonly backend: string;
  readonly imports: readonly string[];
  readonly architecture: BiTArchitecture;
  readonly metadata: BiTMetadata | undefined;
  readonly weights: readonly { name: string; shape: number[]; data: Float32Array }[];
}

/** What an inference request computes: `predict`, `features` (of @bit/models) or raw logits. */
export type InferOp = 'predict' | 'features' | 'logits';

/** Runs `op` on images [n, h, w, 3] (float32 in [0, 1]). */
export interface InferMessage {
  readonly type: 'infer';
  readonly id: number;
  readonly op: InferOp;
  readonly images: Float32Array;
  readonly shape: readonly number[];
  /** PredictOptions for 'predict' (plain data). */
  readonly options?: PredictOptions;
}

export type ToTrainWorker = InitMessage | StepMessage | InferInitMessage | InferMessage;

export type FromTrainWorker =
  | { readonly type: 'ready' }
  | {
      readonly type: 'grads';
      readonly id: number;
      /** The shard's weighted loss (its share of the batch's mean loss). */
      readonly loss: number;
      /** Per slot: whether the weight got a gradient (in the worker's gradient buffer). */
      readonly has: boolean[];
    }
  | {
      readonly type: 'inferred';
      readonly id: number;
      /** Prediction[] for 'predict', Float32Array[] for 'features', one Float32Array for 'logits'. */
      readonly result: unknown;
    }
  | {
      readonly type: 'error';
      readonly id?: number;
      readonly name: string;
      readonly message: string;
      readonly inputError?: boolean;
    };

/** tfjs backend name -> the package that registers it (what a worker imports by default). */
export const BACKEND_PACKAGES: Readonly<Record<string, string>> = {
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
  tensorflow: '@tensorflow/tfjs-node',
};
