/**
 * Fine-tuning run folders (written by `@bit/train/node`'s fineTuneRun / `bit finetune`) as model
 * sources: `model/` (a TF.js model with BiT metadata) when the run finished, else the last
 * checkpoint's `checkpoint/weights.npz` with the class names and eval resolution of
 * `checkpoint/state.json`. Node-only.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CheckpointFormatError } from '../errors';

/** The parts of a run folder this loader reads (the layout @bit/train writes). */
export const RUN_FOLDER_FILES = {
  model: 'model',
  modelJson: 'model/model.json',
  weights: 'checkpoint/weights.npz',
  state: 'checkpoint/state.json',
} as const;

/** What a run folder offers to load. */
export type RunFolderModel =
  | { readonly kind: 'model'; readonly dir: string; readonly name: string }
  | {
      readonly kind: 'checkpoint';
      readonly weights: string;
      readonly name: string;
      readonly classes: readonly string[];
      readonly resolution?: number;
      readonly step?: number;
    };

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * True when `dir` looks like a run folder: it has `model/model.json` or `checkpoint/state.json`.
 */
export async function isRunFolder(dir: string): Promise<boolean> {
  return (
    (await isFile(join(dir, RUN_FOLDER_FILES.modelJson))) ||
    (await isFile(join(dir, RUN_FOLDER_FILES.state)))
  );
}

/**
 * The model a run folder holds: its finished `model/`, else its last checkpoint.
 * @throws CheckpointFormatError `not-a-checkpoint` when it has neither, or when state.json is
 *   unreadable or lacks its class names.
 */
export async function readRunFolder(dir: string): Promise<RunFolderModel> {
  const name = basename(dir.replace(/[\\/]+$/, ''));
  if (await isFile(join(dir, RUN_FOLDER_FILES.modelJson))) {
    return { kind: 'model', dir: join(dir, RUN_FOLDER_FILES.model), name };
  }
  const statePath = join(dir, RUN_FOLDER_FILES.state);
  if (!(await isFile(statePath))) {
    throw new CheckpointFormatError(
      'not-a-checkpoint',
      dir,
      undefined,
      `not a run folder: neither ${RUN_FOLDER_FILES.modelJson} nor ${RUN_FOLDER_FILES.state}`,
    );
  }
  let state: { classes?: unknown; resolution?: { crop?: unknown }; step?: unknown };
  try {
    state = JSON.parse(await readFile(statePath, 'utf8'));
  } catch (err) {
    throw new CheckpointFormatError(
      'not-a-checkpoint',
      statePath,
      undefined,
      `unreadable run state (${(err as Error).message})`,
      { cause: err },
    );
  }
  const classes = state?.classes;
  if (!Array.isArray(classes) || !classes.every((c) => typeof c === 'string')) {
    throw new CheckpointFormatError(
      'not-a-checkpoint',
      statePath,
      undefined,
      'run state has no class names (classes: string[])',
    );
  }
  const weights = join(dir, RUN_FOLDER_FILES.weights);
  if (!(await isFile(weights))) {
    throw new CheckpointFormatError(
      'not-a-checkpoint',
      dir,
      undefined,
      `run folder's checkpoint has no ${RUN_FOLDER_FILES.weights}`,
    );
  }
  const crop = state.resolution?.crop;
  return {
    kind: 'checkpoint',
    weights,
    name,
    classes,
    ...(typeof crop === 'number' ? { resolution: crop } : {}),
    ...(typeof state.step === 'number' ? { step: state.step } : {}),
  };
}
