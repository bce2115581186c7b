/**
 * A RunStore on disk: a run folder with `checkpoint/` (weights.npz in the official BiT layout,
 * optimizer.npz with the momentum buffers, state.json), `checkpoint.prev/` (the checkpoint before
 * it), `metrics.jsonl` and, at the end, `model/` (TF.js LayersModel with BiT metadata).
 *
 * Crash safety: a checkpoint is written whole into a temporary sibling folder and fsynced, then
 * rotated in by renames (`checkpoint.prev` aside, `checkpoint` -> `checkpoint.prev`, temporary ->
 * `checkpoint`), so a crash at any moment leaves at least one complete checkpoint. A damaged
 * latest checkpoint (truncated file, bad CRC, bad JSON) is reported and the one before is used.
 * Temporary and aside folders left by a killed process are removed on the next start.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { MODEL_JSON, openNpzFile, saveBiT, writeNpzFile, type NamedArray } from '@bit/models/node';
import { CheckpointError, CheckpointWriteError } from '../errors';
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
  previous: 'checkpoint.prev',
  damaged: 'checkpoint.damaged',
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
  /** The checkpoint before the latest one. */
  readonly previous: string;
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
    previous: join(dir, RUN_FILES.previous),
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
  if ((await exists(paths.state)) || (await exists(join(paths.model, MODEL_JSON)))) return true;
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

/** A short reason for a failed file operation: "no space left on device (ENOSPC)" and the like. */
export function describeFsError(error: unknown): string {
  const e = error as { code?: string; message?: string };
  const plain: Record<string, string> = {
    ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
  };
  const known = e?.code ? plain[e.code] : undefined;
  return known ? `${known} (${e.code})` : String(e?.message ?? error);
}

/** Temporary and aside names carry `<pid>-<random>`; true when that process is not running. */
function leftByDeadProcess(name: string): boolean {
  const m = /-(\d+)-[0-9a-f]+$/.exec(name);
  if (!m) return true;
  const pid = Number(m[1]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as { code?: string }).code === 'ESRCH';
  }
}

/** Options of {@link NodeRunStore}. */
export interface NodeRunStoreOptions {
  /**
   * Told when a damaged latest checkpoint is passed over for the one before, and when leftovers
   * of a killed run are removed (default: nothing).
   */
  readonly onNotice?: (message: string) => void;
}

async function readCheckpointArrays(path: string): Promise<NamedArray[]> {
  try {
    return await readArrays(path);
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(`${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Checks the fields resuming relies on, so a state.json of the wrong shape is a typed error. */
function checkStateShape(state: unknown, file: string): asserts state is CheckpointState {
  const s = state as Partial<CheckpointState> | null;
  const problem =
    typeof s !== 'object' || s === null || Array.isArray(s)
      ? 'not a JSON object'
      : !Number.isInteger(s.step) || (s.step as number) < 0
        ? `"step" must be an integer >= 0, got ${JSON.stringify(s.step)}`
        : typeof s.finished !== 'boolean'
          ? `"finished" must be true or false, got ${JSON.stringify(s.finished)}`
          : !Array.isArray(s.classes) || !s.classes.every((c) => typeof c === 'string')
            ? '"classes" must be a list of names'
            : typeof s.plan !== 'object' || s.plan === null || !Array.isArray(s.plan.schedule)
              ? '"plan" must be an object with a "schedule" list'
              : typeof s.resolution !== 'object' || s.resolution === null
                ? '"resolution" must be an object'
                : undefined;
  if (problem) throw new CheckpointError(`${file}: ${problem}`);
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
  /** Notices given so far (damaged checkpoints passed over, leftovers removed). */
  readonly notices: string[] = [];
  private readonly onNotice: (message: string) => void;
  private cleaned = false;
  /** The latest checkpoint folder when it was found damaged (the next write moves it away). */
  private damagedLatest = false;

  constructor(
    readonly dir: string,
    options: NodeRunStoreOptions = {},
  ) {
    this.paths = runPaths(dir);
    this.onNotice = options.onNotice ?? (() => undefined);
  }

  private notice(message: string): void {
    this.notices.push(message);
    this.onNotice(message);
  }

  /**
   * Removes what a killed process left: `.checkpoint.tmp-*` folders (never complete),
   * `.checkpoint.old-*` aside folders (restored as `checkpoint.prev` when that is missing), and
   * `metrics.jsonl.tmp-*` files, and the final model's `.model.tmp-*` folders (never complete)
   * and `.model.old-*` aside folders (moved back to `model` when that is missing, else removed).
   * Leftovers of a process still running are kept. Runs once per store before its first
   * checkpoint write; call it at the start of a run.
   */
  async cleanLeftovers(): Promise<string[]> {
    this.cleaned = true;
    const names = await readdir(this.paths.dir).catch(() => [] as string[]);
    const removed: string[] = [];
    const tmpPrefix = `.${RUN_FILES.checkpoint}.tmp-`;
    const oldPrefix = `.${RUN_FILES.checkpoint}.old-`;
    const metricsPrefix = `${RUN_FILES.metrics}.tmp-`;
    const modelTmpPrefix = `.${RUN_FILES.model}.tmp-`;
    const modelOldPrefix = `.${RUN_FILES.model}.old-`;
    const asides: { name: string; step: number }[] = [];
    for (const name of names) {
      if (!leftByDeadProcess(name)) continue;
      if (name.startsWith(modelOldPrefix) && !(await exists(join(this.paths.model, MODEL_JSON)))) {
        // Killed between moving the previous model aside and moving the new one in.
        await rm(this.paths.model, { recursive: true, force: true });
        await rename(join(this.paths.dir, name), this.paths.model);
        continue;
      }
      if (name.startsWith(oldPrefix)) {
        const state = await this.stateIn(join(this.paths.dir, name)).catch(() => undefined);
        if (state) {
          asides.push({ name, step: state.step });
          continue;
        }
      }
      if (
        name.startsWith(tmpPrefix) ||
        name.startsWith(oldPrefix) ||
        name.startsWith(metricsPrefix) ||
        name.startsWith(modelTmpPrefix) ||
        name.startsWith(modelOldPrefix)
      ) {
        await rm(join(this.paths.dir, name), { recursive: true, force: true });
        removed.push(name);
      }
    }
    // An aside folder is a complete checkpoint moved out of the way by an interrupted rotation:
    // the newest one becomes checkpoint.prev when there is none.
    asides.sort((x, y) => y.step - x.step);
    if (asides.length && !(await exists(join(this.paths.previous, RUN_FILES.state)))) {
      await rm(this.paths.previous, { recursive: true, force: true });
      await rename(join(this.paths.dir, asides.shift()!.name), this.paths.previous);
    }
    for (const a of asides) {
      await rm(join(this.paths.dir, a.name), { recursive: true, force: true });
      removed.push(a.name);
    }
    if (removed.length) {
      this.notice(
        `${this.dir}: removed ${removed.length} leftover(s) of an interrupted run (${removed.join(', ')})`,
      );
    }
    return removed;
  }

  async writeCheckpoint(checkpoint: TrainCheckpoint): Promise<void> {
    const { dir, checkpoint: target, previous } = this.paths;
    if (!this.cleaned) await this.cleanLeftovers();
    const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
    const tmp = join(dir, `.${RUN_FILES.checkpoint}.tmp-${tag}`);
    const aside = join(dir, `.${RUN_FILES.checkpoint}.old-${tag}`);
    const fail = async (error: unknown, what: string): Promise<never> => {
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      throw new CheckpointWriteError(
        `${what} ${target} failed: ${describeFsError(error)}; the previous checkpoint is unchanged`,
        { cause: error },
      );
    };
    try {
      await mkdir(dir, { recursive: true });
      await mkdir(tmp);
      await writeNpzFile(join(tmp, RUN_FILES.weights), checkpoint.weights);
      await writeNpzFile(join(tmp, RUN_FILES.optimizer), checkpoint.slots);
      // state.json last: a folder with one holds a complete checkpoint.
      await writeSynced(join(tmp, RUN_FILES.state), JSON.stringify(checkpoint.state, null, 2));
      await syncDir(tmp);
    } catch (error) {
      await fail(error, 'writing the checkpoint to');
    }
    // Rotation. At every moment `checkpoint/` or `checkpoint.prev/` holds a complete checkpoint.
    let asideUsed = false;
    try {
      if (await exists(target)) {
        if (this.damagedLatest) {
          await rm(join(dir, RUN_FILES.damaged), { recursive: true, force: true });
          await rename(target, join(dir, RUN_FILES.damaged));
        } else {
          if (await exists(previous)) {
            await rename(previous, aside);
            asideUsed = true;
          }
          await rename(target, previous);
        }
      }
      await rename(tmp, target);
      await syncDir(dir);
    } catch (error) {
      // Put back what was moved (best effort), so the state is as before the write.
      if (!(await exists(target)) && (await exists(previous)) && asideUsed) {
        await rename(previous, target).catch(() => undefined);
        await rename(aside, previous).catch(() => undefined);
      }
      await fail(error, 'moving the new checkpoint into');
    }
    this.damagedLatest = false;
    if (asideUsed) await rm(aside, { recursive: true, force: true }).catch(() => undefined);
  }

  private async stateIn(folder: string): Promise<CheckpointState | undefined> {
    const file = join(folder, RUN_FILES.state);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return undefined;
      throw new CheckpointError(`${file}: ${(error as Error).message}`, { cause: error });
    }
    let state: CheckpointState;
    try {
      state = JSON.parse(text) as CheckpointState;
    } catch (error) {
      throw new CheckpointError(`${file}: not valid JSON (${(error as Error).message})`, {
        cause: error,
      });
    }
    checkStateShape(state, file);
    return state;
  }

  /** Checkpoint folders, latest first: `checkpoint/` then `checkpoint.prev/`. */
  private folders(): string[] {
    return [this.paths.checkpoint, this.paths.previous];
  }

  /**
   * The latest checkpoint's state.json only (no arrays), or undefined when there is none. A
   * damaged latest one falls back to `checkpoint.prev` (with a notice).
   * @throws CheckpointError naming the file when no state.json can be read.
   */
  async readState(): Promise<CheckpointState | undefined> {
    let firstError: CheckpointError | undefined;
    for (const folder of this.folders()) {
      try {
        const state = await this.stateIn(folder);
        if (state === undefined) continue;
        if (firstError)
          this.notice(
            `${firstError.message}; using the previous checkpoint (${folder}, step ${state.step})`,
          );
        return state;
      } catch (error) {
        if (!(error instanceof CheckpointError)) throw error;
        firstError ??= error;
      }
    }
    if (firstError) throw firstError;
    return undefined;
  }

  /**
   * The latest checkpoint that reads back whole (state.json, both .npz files with their CRCs),
   * or undefined when there is none. When the latest one is damaged, the one before it is used
   * and a notice names the damaged file; the next write moves the damaged one to
   * `checkpoint.damaged/`.
   * @throws CheckpointError naming the file when every checkpoint is damaged.
   */
  async readCheckpoint(): Promise<TrainCheckpoint | undefined> {
    const failures: string[] = [];
    let firstError: CheckpointError | undefined;
    for (const [i, folder] of this.folders().entries()) {
      let checkpoint: TrainCheckpoint | undefined;
      try {
        const state = await this.stateIn(folder);
        if (state === undefined) {
          if (await exists(folder))
            throw new CheckpointError(`${join(folder, RUN_FILES.state)}: missing`);
          continue;
        }
        checkpoint = {
          state,
          weights: await readCheckpointArrays(join(folder, RUN_FILES.weights)),
          slots: await readCheckpointArrays(join(folder, RUN_FILES.optimizer)),
        };
      } catch (error) {
        if (!(error instanceof CheckpointError)) throw error;
        firstError ??= error;
        failures.push(error.message);
        if (i === 0) this.damagedLatest = true;
        continue;
      }
      if (failures.length) {
        this.notice(
          `the latest checkpoint is damaged (${failures[0]}); resuming from the previous one (${folder}, step ${checkpoint.state.step})`,
        );
      }
      return checkpoint;
    }
    if (firstError) {
      throw new CheckpointError(
        failures.length > 1
          ? `no usable checkpoint in ${this.dir}: ${failures.join('; ')}`
          : firstError.message,
        { cause: firstError },
      );
    }
    return undefined;
  }

  async appendMetrics(lines: readonly MetricsLine[]): Promise<void> {
    if (!lines.length) return;
    try {
      await mkdir(this.paths.dir, { recursive: true });
      await appendFile(this.paths.metrics, toJsonl(lines));
    } catch (error) {
      throw new CheckpointWriteError(
        `appending to ${this.paths.metrics} failed: ${describeFsError(error)}`,
        { cause: error },
      );
    }
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
    try {
      await writeSynced(tmp, toJsonl(kept));
      await rename(tmp, this.paths.metrics);
    } catch (error) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw new CheckpointWriteError(
        `rewriting ${this.paths.metrics} failed: ${describeFsError(error)}; it is unchanged`,
        { cause: error },
      );
    }
  }

  async saveModel(model: tfl.LayersModel): Promise<void> {
    try {
      await mkdir(this.paths.dir, { recursive: true });
      await saveBiT(model, this.paths.model, { format: 'tfjs' });
    } catch (error) {
      throw new CheckpointWriteError(
        `saving the model to ${this.paths.model} failed: ${describeFsError(error)}; the checkpoint is intact (rerun with resume to save it)`,
        { cause: error },
      );
    }
  }

  /** Removes the checkpoints, metrics and model (to start a run over in the same folder). */
  async clear(): Promise<void> {
    for (const folder of [RUN_FILES.checkpoint, RUN_FILES.previous, RUN_FILES.damaged]) {
      await rm(join(this.paths.dir, folder), { recursive: true, force: true });
    }
    await rm(this.paths.model, { recursive: true, force: true });
    await rm(this.paths.metrics, { force: true });
  }
}
