/** Options and result of fineTune. */
import type * as tfl from '@tensorflow/tfjs-layers';
import type {
  BatchExecutor,
  DataSource,
  PipelineOptions,
  Resolution,
  WarningHandler,
} from '@bit/data';
import type { HyperRulePlan } from '@bit/hyperrule';
import type { EvalResult } from '../eval/metrics';
import type { GradientExecutor } from './parallel';
import type { EvalMetrics, RunStore, StepMetrics } from '../run/types';

/** Why a checkpoint was written. */
export type CheckpointReason = 'periodic' | 'abort' | 'end';

/** What callbacks get besides the metrics. */
export interface TrainContext {
  /** The model being trained (with its new head, when one was made). */
  readonly model: tfl.LayersModel;
  readonly plan: HyperRulePlan;
}

/** Callbacks of fineTune (each may be async; the loop waits for it). */
export interface FineTuneCallbacks {
  /** After every optimizer step (the metrics line just recorded). */
  onStepEnd?(metrics: StepMetrics, context: TrainContext): void | Promise<void>;
  /** After every evaluation. */
  onEvalEnd?(metrics: EvalMetrics, context: TrainContext): void | Promise<void>;
  /** After a checkpoint was written. */
  onCheckpoint?(
    info: { step: number; reason: CheckpointReason },
    context: TrainContext,
  ): void | Promise<void>;
  /** Once, when training ends (completed, aborted or out of data; not on errors). */
  onTrainEnd?(result: FineTuneResult, context: TrainContext): void | Promise<void>;
}

/** Options of fineTune. Only `model` and `train` are required; the rest follow the HyperRule. */
export interface FineTuneOptions {
  /** A BiT ResNetV2 (from @bit/models). Its head is replaced when the class count differs. */
  model: tfl.LayersModel;
  /** Training data (class names come from its metadata). */
  train: DataSource;
  /** Validation data, evaluated every `evalEvery` steps and at the end. */
  val?: DataSource;

  /** Examples per optimizer step (default 512, the HyperRule's). */
  batchSize?: number;
  /** Base learning rate (default 0.003). */
  baseLr?: number;
  /** Total optimizer steps: the HyperRule schedule is rescaled to end there. */
  steps?: number;
  /** A complete plan to use instead of `hyperRule(...)` (batchSize, baseLr, steps ignored). */
  plan?: HyperRulePlan;
  /** Original image size [h, w] for the HyperRule (default: the source's, else its first image). */
  imageSize?: readonly [number, number];
  /** Resize / crop sides (default the HyperRule's: 160/128 below 96x96 pixels, else 512/480). */
  resolution?: Resolution;
  /** MixUp alpha, or 'auto' (default): the HyperRule's (0.1 from 20k examples, else 0). */
  mixup?: 'auto' | number;
  /** Micro-batches per step (gradient accumulation; same update). Default 1. */
  batchSplit?: number;
  /** Alternative to batchSplit: the largest micro-batch; the fewest micro-batches are used. */
  microBatch?: number;
  /** Seed of data order, augmentation and MixUp (default 0). */
  seed?: number;
  /** Random crop (default true; off for counting tasks). */
  crop?: boolean;
  /**
   * Inception-style random-size crop instead of the HyperRule's fixed-size one: the share of
   * the image's area the crop covers, drawn from `[min, max]` (BiT's upstream: `[0.05, 1]`).
   * `pretrain` takes it; fine-tuning keeps the HyperRule's crop unless this is given.
   */
  cropArea?: PipelineOptions['cropArea'];
  /** Random horizontal flip (default true; off for orientation tasks). */
  flip?: boolean;
  /** Extra registered augmentations (see @bit/data). */
  augmentations?: PipelineOptions['augmentations'];

  /** Train only the head; the backbone stays frozen. */
  headOnly?: boolean;
  /** With headOnly: compute the features once (no augmentation), train a linear head on them. */
  precomputeFeatures?: boolean;
  /** Always put a new zero-initialised head on, even when the class count matches. */
  newHead?: boolean;

  /** Evaluate on `val` every this many steps (0 or absent: only at the end). */
  evalEvery?: number;
  /** Images per eval forward pass (default: batchSize / batchSplit, at most 64). */
  evalBatchSize?: number;
  /** Write a checkpoint every this many steps (0 or absent: only on abort and at the end). */
  checkpointEvery?: number;
  /** Where checkpoints, metrics and the final model go (default: nowhere). */
  store?: RunStore;
  /** Continue from the store's checkpoint, if it has one. */
  resume?: boolean;
  /** Abort: a checkpoint is written after the current step, then fineTune returns 'aborted'. */
  signal?: AbortSignal;

  /**
   * Where each step's gradients are computed: default this thread. `createTrainWorkers` from
   * `@bit/train/node` shares every batch among worker threads (the same update, within float
   * tolerance; the optimizer, data, checkpoints and metrics stay here).
   */
  gradientExecutor?: GradientExecutor;
  /** Where image work runs (e.g. a worker pool from @bit/data/node). */
  executor?: BatchExecutor;
  /** Training batches prepared ahead (default 2). */
  prefetch?: number;
  /** Receives a message per broken image (default console.warn). */
  onWarning?: WarningHandler;
  callbacks?: FineTuneCallbacks;
}

/** How fineTune ended. */
export type FineTuneStatus = 'completed' | 'aborted' | 'data-exhausted';

/** What fineTune returns. */
export interface FineTuneResult {
  /** The trained model (a new model object when a new head was put on; same backbone weights). */
  readonly model: tfl.LayersModel;
  readonly plan: HyperRulePlan;
  readonly status: FineTuneStatus;
  /** Optimizer steps completed (including those before a resume). */
  readonly step: number;
  /** The step training resumed from, when it did. */
  readonly resumedFrom?: number;
  /** Loss of the last step run in this call. */
  readonly lastLoss?: number;
  /** Evaluations made in this call. */
  readonly evals: readonly EvalMetrics[];
  /** The final evaluation (on `val`), when training completed in this call. */
  readonly finalEval?: EvalResult;
  /** Class names, by label. */
  readonly classes: readonly string[];
  readonly resolution: Resolution;
  readonly mixupAlpha: number;
}
