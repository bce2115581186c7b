/** What a run records: metrics lines, checkpoints, and where they go (the RunStore). */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { PipelineState, Resolution } from '@bit/data';
import type { HyperRulePlan } from '@bit/hyperrule';
import type { NamedArray } from '@bit/models';
import type { TrainMode } from '../loop/target';

/** One line of metrics.jsonl per optimizer step. */
export interface StepMetrics {
  /** The optimizer step, from 0 (its update used `lr = lrForPlan(plan, step)`). */
  readonly step: number;
  /** Mean training loss of the step's batch (soft cross-entropy with MixUp). */
  readonly loss: number;
  readonly lr: number;
  /** Examples per second over the step (data + compute). */
  readonly imagesPerSecond: number;
  /** MixUp lambda of the step (1 without MixUp). */
  readonly lambda: number;
}

/** One line of metrics.jsonl per evaluation. */
export interface EvalMetrics {
  /** Optimizer steps completed when the evaluation ran. */
  readonly step: number;
  readonly split: 'val';
  readonly top1: number;
  readonly top5: number;
  readonly loss: number;
  readonly count: number;
}

/** A metrics.jsonl line. */
export type MetricsLine = StepMetrics | EvalMetrics;

/** True for an evaluation line. */
export function isEvalLine(line: MetricsLine): line is EvalMetrics {
  return (line as EvalMetrics).split !== undefined;
}

/**
 * True when `line` was recorded after the checkpoint taken with `step` steps completed: a
 * step line of step >= `step`, or an eval line of step > `step`. Resuming drops these.
 */
export function isAfterCheckpoint(line: MetricsLine, step: number): boolean {
  return isEvalLine(line) ? line.step > step : line.step >= step;
}

/** How a run augments its training images (recorded in checkpoints; a resume must match). */
export interface AugmentationSettings {
  /** Random crop (false: resized straight to the crop size). */
  readonly crop: boolean;
  /** Random horizontal flip. */
  readonly flip: boolean;
  /** Inception-style crop area range, when used. */
  readonly cropArea?: readonly [number, number];
  /** Extra registered augmentations, in order. */
  readonly extra?: readonly { readonly name: string; readonly options?: unknown }[];
}

/** The JSON part of a checkpoint (state.json). */
export interface CheckpointState {
  readonly version: 1;
  /** Optimizer steps completed. */
  readonly step: number;
  /** True when the schedule was completed (a resume has nothing left to train). */
  readonly finished: boolean;
  /** Data order, augmentation and MixUp RNG state after the last batch used (null: none used yet). */
  readonly data: PipelineState | null;
  readonly plan: HyperRulePlan;
  readonly mode: TrainMode;
  readonly seed: number;
  readonly mixupAlpha: number;
  readonly resolution: Resolution;
  /** The training images' augmentation (absent in checkpoints written before it was recorded). */
  readonly augmentation?: AugmentationSettings;
  /** Class names, by label. */
  readonly classes: readonly string[];
  /** Micro-batches per step when the checkpoint was written (may change on resume). */
  readonly batchSplit: number;
  /** ISO time of writing. */
  readonly savedAt: string;
}

/** A checkpoint: the model's weights (official layout names), momentum buffers, state. */
export interface TrainCheckpoint {
  readonly state: CheckpointState;
  /** Every model weight, under its checkpoint name and shape (loadable as a BiT checkpoint). */
  readonly weights: readonly NamedArray[];
  /** Momentum buffers of the trained weights (same names, the variables' shapes). */
  readonly slots: readonly NamedArray[];
}

/**
 * Where a run keeps its checkpoint, metrics and final model. `fineTune` only talks to this
 * interface: `MemoryRunStore` keeps everything in memory (tests, browser), `NodeRunStore`
 * (from `@bit/train/node`) a run folder on disk.
 */
export interface RunStore {
  /** Replaces the checkpoint, atomically (a crash leaves the old one or the new one). */
  writeCheckpoint(checkpoint: TrainCheckpoint): Promise<void>;
  /** The last checkpoint, or undefined when there is none. */
  readCheckpoint(): Promise<TrainCheckpoint | undefined>;
  /** Appends metrics lines (append-only). */
  appendMetrics(lines: readonly MetricsLine[]): Promise<void>;
  /** Drops the lines recorded after the checkpoint at `step` (see isAfterCheckpoint); 0: all. */
  truncateMetrics(step: number): Promise<void>;
  /** The metrics lines recorded so far. */
  readMetrics(): Promise<MetricsLine[]>;
  /** Stores the trained model (with its BiT metadata: class names, resolution). */
  saveModel(model: tfl.LayersModel): Promise<void>;
}
