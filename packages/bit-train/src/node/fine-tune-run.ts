/**
 * fineTuneRun: fineTune in a run folder, from paths and names. Opens the data with
 * @bit/data/node, loads the model with @bit/models/node, keeps checkpoint / metrics / model in
 * `out` (NodeRunStore), resumes on request, and turns Ctrl-C into "checkpoint, then stop".
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { DataSource, SourceOpenOptions } from '@bit/data';
import { DataArgumentError, DataFormatError } from '@bit/data';
import { openSource } from '@bit/data/node';
import { loadBiT, type NodeLoadBiTOptions } from '@bit/models/node';
import { TrainConfigError } from '../errors';
import { fineTune } from '../loop/fine-tune';
import type { FineTuneOptions, FineTuneResult } from '../loop/options';
import { NodeRunStore } from './run-store';
import { installSigintHandler } from './sigint';
import { createTrainWorkers, type TrainWorkersOptions } from './train-workers';

/** Options of {@link fineTuneRun}: fineTune's, with paths instead of objects. */
export interface FineTuneRunOptions extends Omit<
  FineTuneOptions,
  'model' | 'train' | 'val' | 'store' | 'resume'
> {
  /** A model: .npz or TF.js folder / model.json path, zoo name, URL, or a LayersModel. */
  model: string | tfl.LayersModel;
  /** Training data: a path (format detected), a `{ format, path, ... }` spec, or a DataSource. */
  train: unknown;
  /** Validation data, as `train` (relabelled to the training classes by name when they differ). */
  val?: unknown;
  /** The run folder (created when missing). */
  out: string;
  /** Continue from the folder's checkpoint (a fresh start when there is none). */
  resume?: boolean;
  /** Start over in a folder that already holds a run (its checkpoint, metrics and model go). */
  overwrite?: boolean;
  /** Options for opening `train` (split, classes, validate, ...). */
  trainOptions?: SourceOpenOptions;
  /** Options for opening `val` (default split: `val`, else `test`, else the source's default). */
  valOptions?: SourceOpenOptions;
  /** Few-shot: keep this many training examples per class (chosen with `seed`). */
  examplesPerClass?: number;
  /** Options for loading the model (download cache, progress). */
  loadOptions?: NodeLoadBiTOptions;
  /** Install the SIGINT handler (default true). */
  handleSigint?: boolean;
  /** Progress and notices (default: stderr). */
  log?: (message: string) => void;
  /**
   * Data-parallel training over worker threads: the replica count (this thread plus
   * `workers - 1` threads), or {@link TrainWorkersOptions}. Default 1: this thread only.
   * Ignored when `gradientExecutor` is given.
   */
  workers?: number | TrainWorkersOptions;
}

/** The gradient executor of a run: the caller's, or worker threads for `workers` > 1. */
export function runGradientExecutor(
  o: Pick<FineTuneRunOptions, 'workers' | 'gradientExecutor'>,
): FineTuneOptions['gradientExecutor'] {
  if (o.gradientExecutor || o.workers === undefined) return o.gradientExecutor;
  return createTrainWorkers(o.workers);
}

function isDataSource(x: unknown): x is DataSource {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as DataSource).example === 'function' &&
    typeof (x as DataSource).label === 'function'
  );
}

/** Opens the training data of a run (a DataSource, a path or a spec; few-shot applied). */
export async function openTrain(
  o: Pick<FineTuneRunOptions, 'train' | 'trainOptions' | 'examplesPerClass' | 'seed' | 'onWarning'>,
): Promise<DataSource> {
  if (isDataSource(o.train)) return o.train;
  if (o.train === undefined || o.train === null || o.train === '') {
    throw new TrainConfigError(
      'fineTuneRun: train is required (a path, a { format, path } spec or a DataSource)',
    );
  }
  return openSource(o.train, {
    onWarning: o.onWarning,
    ...o.trainOptions,
    ...(o.examplesPerClass !== undefined
      ? { examplesPerClass: o.examplesPerClass, seed: o.trainOptions?.seed ?? o.seed ?? 0 }
      : {}),
  });
}

/** Splits tried for validation data when no split is asked for, before the source's default. */
const VALIDATION_SPLITS = ['val', 'test'] as const;

/**
 * Opens validation data from a path or spec: the asked split, else its `val` split, else its
 * `test` split, else what the source opens by default (formats without splits). Without this an
 * IDX or CIFAR folder, or an image folder with train/ and test/, would validate on `train`.
 */
async function openValSource(spec: unknown, options: SourceOpenOptions): Promise<DataSource> {
  if (options.split !== undefined) return openSource(spec, options);
  for (const split of VALIDATION_SPLITS) {
    try {
      return await openSource(spec, { ...options, split });
    } catch (e) {
      // No such split here (or not one this format has): try the next.
      if (!(e instanceof DataArgumentError || e instanceof DataFormatError)) throw e;
    }
  }
  return openSource(spec, options);
}

/**
 * Opens a run's validation data (default split: `val`, else `test`, else the source's
 * default), relabelled to the training classes by name when needed.
 */
export async function openVal(
  o: Pick<FineTuneRunOptions, 'val' | 'valOptions' | 'onWarning'>,
  classes: readonly string[],
): Promise<DataSource | undefined> {
  if (o.val === undefined || o.val === null || o.val === '') return undefined;
  let val = isDataSource(o.val)
    ? o.val
    : await openValSource(o.val, { onWarning: o.onWarning, ...o.valOptions });
  const names = val.metadata.classes;
  if (names.length !== classes.length || names.some((n, i) => n !== classes[i])) {
    if (isDataSource(o.val)) {
      throw new TrainConfigError(
        `fineTuneRun: val classes [${names.slice(0, 10).join(', ')}] differ from train's [${classes.slice(0, 10).join(', ')}]`,
      );
    }
    try {
      val = await openValSource(o.val, {
        onWarning: o.onWarning,
        ...o.valOptions,
        ...(val.metadata.split !== undefined ? { split: val.metadata.split } : {}),
        classes: [...classes],
      });
    } catch (e) {
      if (!(e instanceof DataArgumentError)) throw e;
      throw new TrainConfigError(
        `val ${typeof o.val === 'string' ? o.val : ''}: it lacks training classes ` +
          `(${e.message.replace(/^classes: /, '')}); val must hold every class of train ` +
          `[${classes.slice(0, 10).join(', ')}${classes.length > 10 ? ', ...' : ''}]`,
        { cause: e },
      );
    }
  }
  return val;
}

/** What {@link openRunFolder} hands a run: its store, abort signal, and a cleanup. */
export interface OpenedRunFolder {
  readonly store: NodeRunStore;
  /** Aborted by Ctrl-C or by the caller's signal. */
  readonly signal: AbortSignal;
  /** Removes the SIGINT handler and the signal forwarding. */
  close(): void;
}

/** The part of the run options that {@link openRunFolder} reads. */
export type RunFolderOptions = Pick<
  FineTuneRunOptions,
  'out' | 'resume' | 'overwrite' | 'signal' | 'handleSigint' | 'log'
>;

/**
 * Opens run folder `out` for a training run (fine-tuning or pre-training): refuses a folder that
 * already holds a run unless `resume` or `overwrite` is given (clearing it for `overwrite`), says
 * where a resume starts, and turns Ctrl-C (and `signal`) into one abort signal.
 */
export async function openRunFolder(o: RunFolderOptions, who: string): Promise<OpenedRunFolder> {
  if (!o || typeof o.out !== 'string' || o.out === '') {
    throw new TrainConfigError(`${who}: out (the run folder) is required`);
  }
  const log = o.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const store = new NodeRunStore(o.out, { onNotice: log });
  // A killed run may have left temporary or aside folders: remove them (or restore an aside
  // checkpoint as checkpoint.prev) before reading the state.
  await store.cleanLeftovers();
  const state = await store.readState();
  if (state && !o.resume) {
    if (!o.overwrite) {
      throw new TrainConfigError(
        `${who}: ${o.out} already holds a run (checkpoint at step ${state.step}); ` +
          'pass resume to continue it or overwrite to start over',
      );
    }
    await store.clear();
  } else if (!state && o.overwrite) {
    await store.clear();
  }
  if (state && o.resume) log(`resuming ${o.out} from step ${state.step}`);
  const controller = new AbortController();
  const forward = () => controller.abort(o.signal?.reason);
  if (o.signal?.aborted) forward();
  o.signal?.addEventListener('abort', forward, { once: true });
  const uninstall =
    o.handleSigint === false ? () => {} : installSigintHandler(() => controller.abort(), { log });
  return {
    store,
    signal: controller.signal,
    close() {
      uninstall();
      o.signal?.removeEventListener('abort', forward);
    },
  };
}

/** What a training run gets from {@link inRunFolder}: its store, abort signal and data. */
export interface RunFolderContext {
  readonly store: NodeRunStore;
  readonly signal: AbortSignal;
  readonly train: DataSource;
  readonly val: DataSource | undefined;
}

/** The options only the run-folder layer reads (not passed on to the training loop). */
const RUN_FOLDER_KEYS = [
  'out',
  'overwrite',
  'trainOptions',
  'valOptions',
  'examplesPerClass',
  'loadOptions',
  'handleSigint',
  'log',
  'workers',
] as const;

/** `options` without the run-folder-only keys: what the training loop takes. */
export function loopOptions<T extends object>(
  options: T,
): Omit<T, (typeof RUN_FOLDER_KEYS)[number]> {
  const out = { ...options } as Record<string, unknown>;
  for (const key of RUN_FOLDER_KEYS) delete out[key];
  return out as Omit<T, (typeof RUN_FOLDER_KEYS)[number]>;
}

/**
 * Runs `body` in run folder `options.out` (see {@link openRunFolder}) with the training and
 * validation data opened, closing the folder's handlers afterwards: the shared frame of
 * fineTuneRun and pretrainRun.
 */
export async function inRunFolder<T>(
  options: RunFolderOptions &
    Pick<
      FineTuneRunOptions,
      'train' | 'val' | 'trainOptions' | 'valOptions' | 'examplesPerClass' | 'seed' | 'onWarning'
    >,
  who: string,
  body: (context: RunFolderContext) => Promise<T>,
): Promise<T> {
  const run = await openRunFolder(options, who);
  try {
    const train = await openTrain(options);
    const val = await openVal(options, train.metadata.classes);
    return await body({ store: run.store, signal: run.signal, train, val });
  } finally {
    run.close();
  }
}

/**
 * Fine-tunes in run folder `out` (layout: see NodeRunStore): `checkpoint/` every
 * `checkpointEvery` steps, on Ctrl-C / `signal` and at the end; `metrics.jsonl`; `model/` (TF.js,
 * class names and resolution in its BiT metadata) when the schedule completes. With `resume`, it
 * continues exactly from the checkpoint. A folder that already holds a run needs `resume` or
 * `overwrite`.
 */
export function fineTuneRun(options: FineTuneRunOptions): Promise<FineTuneResult> {
  return inRunFolder(options, 'fineTuneRun', async ({ store, signal, train, val }) => {
    const gradientExecutor = runGradientExecutor(options); // checks workers before the load
    const model =
      typeof options.model === 'string'
        ? await loadBiT(options.model, options.loadOptions)
        : options.model;
    return fineTune({
      ...loopOptions(options),
      gradientExecutor,
      model,
      train,
      val,
      store,
      signal,
    });
  });
}
