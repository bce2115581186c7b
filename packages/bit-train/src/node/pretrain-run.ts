/**
 * pretrainRun: upstream pre-training from scratch in a run folder, from paths: the data opened
 * with @bit/data/node, checkpoints / metrics / model in `out` (NodeRunStore), exact resume, and
 * Ctrl-C = checkpoint, then stop. The same folder layout as fineTuneRun, so `bit eval`,
 * `bit predict --model`, `openRun` and fine-tuning from it all work.
 */
import type { SourceOpenOptions } from '@bit/data';
import type { FineTuneResult } from '../loop/options';
import { pretrain, type PretrainOptions } from '../pretrain/pretrain';
import { inRunFolder, loopOptions, runGradientExecutor } from './fine-tune-run';
import type { TrainWorkersOptions } from './train-workers';

/** Options of {@link pretrainRun}: pretrain's, with paths instead of objects. */
export interface PretrainRunOptions extends Omit<
  PretrainOptions,
  'train' | 'val' | 'store' | 'resume'
> {
  /** Training data: a path (format detected), a `{ format, path, ... }` spec, or a DataSource. */
  train: unknown;
  /** Validation data, as `train` (relabelled to the training classes by name when they differ). */
  val?: unknown;
  /** The run folder (created when missing). */
  out: string;
  /** Continue from the folder's checkpoint (a fresh start when there is none). */
  resume?: boolean;
  /** Start over in a folder that already holds a run. */
  overwrite?: boolean;
  /** Options for opening `train` (split, classes, ...). */
  trainOptions?: SourceOpenOptions;
  /** Options for opening `val` (default split: `val`, else `test`, else the source's default). */
  valOptions?: SourceOpenOptions;
  /** Install the SIGINT handler (default true). */
  handleSigint?: boolean;
  /** Progress and notices (default: stderr). */
  log?: (message: string) => void;
  /**
   * Data-parallel training over worker threads: the replica count (this thread plus
   * `workers - 1` threads), or {@link TrainWorkersOptions}. Default 1: this thread only.
   */
  workers?: number | TrainWorkersOptions;
}

/**
 * Pre-trains in run folder `out`: `checkpoint/` every `checkpointEvery` steps, on Ctrl-C /
 * `signal` and at the end; `metrics.jsonl`; `model/` (TF.js, class names and resolution in its
 * BiT metadata) when the schedule completes. A folder that already holds a run needs `resume`
 * or `overwrite`.
 */
export function pretrainRun(options: PretrainRunOptions): Promise<FineTuneResult> {
  return inRunFolder(options, 'pretrainRun', ({ store, signal, train, val }) =>
    pretrain({
      ...loopOptions(options),
      gradientExecutor: runGradientExecutor(options),
      train,
      val,
      store,
      signal,
    }),
  );
}
