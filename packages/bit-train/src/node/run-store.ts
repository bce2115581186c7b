/**
 * A RunStore on disk: a run folder with `checkpoint/` (weights.npz in the official BiT layout,
 * optimizer.npz with the momentum buffers, state.json), `metrics.jsonl` and, at the end,
 * `model/` (TF.js LayersModel with BiT metadata). Checkpoints are written to a temporary
 * sibling folder, fsynced, then swapped into place: a crash leaves the old or the new one.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { openNpzFile, saveBiT, writeNpzFile, type NamedArray } from '@bit/models/node';
import { CheckpointError } from '../errors';
import {
  isAfterCheckpoint,
  type CheckpointState,
  type MetricsLine,
  type RunStore,
  type TrainCheckpoint,
} from '../run/types';

/** File and folder names inside a run folder. */
export const RUN_FILES = {
  checkpoint: 'checkpoint',
  weights: 'weights.npz',
  optimizer: 'optimizer.npz',
  state: 'state.json',
  metrics: 'metrics.jsonl',
  model: 'model',
} as const;

/** Paths of a run folder's parts. */
export interface RunPaths {
  readonly dir: string;
  readonly checkpoint: string;
  readonly weights: string;
  readonly optimizer: string;
  readonly state: string;
  readonly metrics: string;
  readonly model: string;
}

/** The paths of run folder `dir`. */
export function runPaths(dir: string): RunPaths {
  const checkpoint = join(dir, RUN_FILES.checkpoint);
  return {
    dir,
    checkpoint,
    weights: join(checkpoint, RUN_FILES.weights),
    optimizer: join(checkpoint, RUN_FILES.optimizer),
    state: join(checkpoint, RUN_FILES.state),
    metrics: join(dir, RUN_FILES.metrics),
    model: join(dir, RUN_FILES.model),
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * True when `dir` holds a run (the layout above): a checkpoint (`checkpoint/state.json`, or one
 * left aside by an interrupted swap), a finished model (`model/model.json`) or `metrics.jsonl`.
 * False for a missing folder, a file, or a folder of anything else.
 */
export async function isRunFolder(dir: string): Promise<boolean> {
  const paths = runPaths(dir);
  if ((await exists(paths.state)) || (await exists(join(paths.model, 'model.json')))) return true;
  if (await exists(paths.metrics)) return true;
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.some((n) => n.startsWith(`.${RUN_FILES.checkpoint}.old-`));
}

async function writeSynced(path: string, text: string): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(path: string): Promise<void> {
  try {
    const fh = await open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}

async function readArrays(path: string): Promise<NamedArray[]> {
  const archive = await openNpzFile(path);
  try {
    const out: NamedArray[] = [];
    for (const e of archive.entries) {
      const a = await archive.read(e.name);
      out.push({ name: a.name, shape: a.shape, data: a.data });
    }
    return out;
  } finally {
    await archive.close();
  }
}

/** Parses metrics.jsonl text, skipping blank lines and a torn last line. */
export function parseMetrics(text: string, file: string = RUN_FILES.metrics): MetricsLine[] {
  const lines = text.split('\n');
  const out: MetricsLine[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      out.push(JSON.parse(line) as MetricsLine);
    } catch {
      // Only the last line can be torn (a crash during an append).
      if (i < lines.length - 2 || (i === lines.length - 2 && lines[i + 1] !== '')) {
        throw new CheckpointError(`${file}: line ${i + 1} is not JSON`);
      }
    }
  });
  return out;
}

function toJsonl(lines: readonly MetricsLine[]): string {
  return lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length ? '\n' : '');
}

/** A run folder on disk as a RunStore (see the module comment for the layout). */
export class NodeRunStore implements RunStore {
  readonly paths: RunPaths;

  constructor(readonly dir: string) {
    this.paths = runPaths(dir);
  }

  async writeCheckpoint(checkpoint: TrainCheckpoint): Promise<void> {
    const { dir, checkpoint: target } = this.paths;
    await mkdir(dir, { recursive: true });
    const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
    const tmp = join(dir, `.${RUN_FILES.checkpoint}.tmp-${tag}`);
    const old = join(dir, `.${RUN_FILES.checkpoint}.old-${tag}`);
    try {
      await mkdir(tmp);
      await writeNpzFile(join(tmp, RUN_FILES.weights), checkpoint.weights);
      await writeNpzFile(join(tmp, RUN_FILES.optimizer), checkpoint.slots);
      await writeSynced(join(tmp, RUN_FILES.state), JSON.stringify(checkpoint.state, null, 2));
      await syncDir(tmp);
    } catch (error) {
      await rm(tmp, { recursive: true, force: true });
      throw new CheckpointError(
        `writing the checkpoint to ${target} failed (${(error as Error).message}); the previous one is unchanged`,
        { cause: error },
      );
    }
    const hadOld = await exists(target);
    if (hadOld) await rename(target, old);
    await rename(tmp, target);
    await syncDir(dir);
    if (hadOld) await rm(old, { recursive: true, force: true });
  }

  /** The checkpoint folder to read: `checkpoint/`, or one left aside by an interrupted swap. */
  private async checkpointFolder(): Promise<string | undefined> {
    if (await exists(this.paths.state)) return this.paths.checkpoint;
    const names = await readdir(this.paths.dir).catch(() => [] as string[]);
    const aside = names.filter((n) => n.startsWith(`.${RUN_FILES.checkpoint}.old-`));
    for (const n of aside) {
      if (await exists(join(this.paths.dir, n, RUN_FILES.state))) return join(this.paths.dir, n);
    }
    return undefined;
  }

  /** The checkpoint's state.json only (no arrays), or undefined. */
  async readState(): Promise<CheckpointState | undefined> {
    const folder = await this.checkpointFolder();
    if (!folder) return undefined;
    const file = join(folder, RUN_FILES.state);
    try {
      return JSON.parse(await readFile(file, 'utf8')) as CheckpointState;
    } catch (error) {
      throw new CheckpointError(`${file}: ${(error as Error).message}`, { cause: error });
    }
  }

  async readCheckpoint(): Promise<TrainCheckpoint | undefined> {
    const folder = await this.checkpointFolder();
    if (!folder) return undefined;
    const state = await this.readState();
    try {
      return {
        state: state!,
        weights: await readArrays(join(folder, RUN_FILES.weights)),
        slots: await readArrays(join(folder, RUN_FILES.optimizer)),
      };
    } catch (error) {
      if (error instanceof CheckpointError) throw error;
      throw new CheckpointError(
        `reading the checkpoint in ${folder}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }

  async appendMetrics(lines: readonly MetricsLine[]): Promise<void> {
    if (!lines.length) return;
    await mkdir(this.paths.dir, { recursive: true });
    await appendFile(this.paths.metrics, toJsonl(lines));
  }

  async readMetrics(): Promise<MetricsLine[]> {
    let text: string;
    try {
      text = await readFile(this.paths.metrics, 'utf8');
    } catch {
      return [];
    }
    return parseMetrics(text, this.paths.metrics);
  }

  async truncateMetrics(step: number): Promise<void> {
    if (!(await exists(this.paths.metrics))) return;
    const kept = (await this.readMetrics()).filter((l) => !isAfterCheckpoint(l, step));
    const tmp = `${this.paths.metrics}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    await writeSynced(tmp, toJsonl(kept));
    await rename(tmp, this.paths.metrics);
  }

  async saveModel(model: tfl.LayersModel): Promise<void> {
    await mkdir(this.paths.dir, { recursive: true });
    await saveBiT(model, this.paths.model, { format: 'tfjs' });
  }

  /** Removes the checkpoint, metrics and model (to start a run over in the same folder). */
  async clear(): Promise<void> {
    await rm(this.paths.checkpoint, { recursive: true, force: true });
    await rm(this.paths.model, { recursive: true, force: true });
    await rm(this.paths.metrics, { force: true });
  }
}
