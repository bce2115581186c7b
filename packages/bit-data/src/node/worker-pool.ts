/**
 * A worker_threads pool that decodes and transforms images off the main thread, so the
 * main thread only trains. It is a BatchExecutor: pass it as the pipeline's `executor`.
 * Results are identical to the in-thread executor (same decoder, same transform code,
 * parameters drawn on the main thread).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DataArgumentError } from '../errors';
import { isLazyImage } from '../image';
import type { BatchExecutor, ItemTask } from '../pipeline/executor';
import type { DecoderPreference } from './decode';
import type { FromWorker, ToWorker, WireTask } from './worker-protocol';

/** Options of the worker pool. */
export interface WorkerPoolOptions {
  /** Number of threads (default: available cores - 1, at least 1). */
  readonly size?: number;
  /** Decoder in the workers (default 'auto'); use the one the source was opened with. */
  readonly decoder?: DecoderPreference;
  /** Modules each worker imports first (e.g. to register custom augmentations). */
  readonly imports?: readonly string[];
  /** The worker script (default: the built `worker.js` / `worker.cjs` beside this module). */
  readonly workerUrl?: string | URL;
  /** Jobs per worker and batch, for load balancing (default 2). */
  readonly chunksPerWorker?: number;
}

/**
 * Where the worker script is: beside the built module (dist/worker.js for the ESM build,
 * dist/worker.cjs for the CJS one; import.meta.url is shimmed in CJS). When running from
 * TypeScript sources, the package's built dist/worker.js.
 */
export function defaultWorkerUrl(): URL {
  const here = import.meta.url;
  if (/\.cjs$/.test(here)) return new URL('./worker.cjs', here);
  if (/\.m?js$/.test(here)) return new URL('./worker.js', here);
  return new URL('../../dist/worker.js', here);
}

interface Job {
  readonly id: number;
  readonly tasks: WireTask[];
  readonly transfer: ArrayBuffer[];
  readonly pixels: number;
  resolve(result: { out: Float32Array; errors: (string | null)[] }): void;
  reject(error: Error): void;
}

interface Slot {
  readonly worker: Worker;
  job?: Job;
}

/** A pool of worker threads running decode + transform jobs. */
export class WorkerPool implements BatchExecutor {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;

  private constructor(private readonly options: WorkerPoolOptions) {}

  /** Starts the threads and waits until each is ready. */
  static async create(options: WorkerPoolOptions = {}): Promise<WorkerPool> {
    const size = options.size ?? Math.max(1, availableParallelism() - 1);
    if (!Number.isInteger(size) || size <= 0)
      throw new DataArgumentError(`WorkerPool: size must be a positive integer, got ${size}`);
    const url = options.workerUrl
      ? typeof options.workerUrl === 'string' && !/^file:/.test(options.workerUrl)
        ? pathToFileURL(options.workerUrl)
        : new URL(options.workerUrl)
      : defaultWorkerUrl();
    if (!existsSync(fileURLToPath(url))) {
      throw new DataArgumentError(
        `WorkerPool: worker script ${fileURLToPath(url)} not found (build @bit/data with tsup, or pass workerUrl)`,
      );
    }
    const pool = new WorkerPool(options);
    try {
      await Promise.all(Array.from({ length: size }, () => pool.start(url)));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** Number of threads. */
  get size(): number {
    return this.slots.length;
  }

  async execute(tasks: readonly ItemTask[], out: Float32Array): Promise<(string | null)[]> {
    if (this.closed) throw new DataArgumentError('WorkerPool: the pool is closed');
    if (tasks.length === 0) return [];
    const pixels = tasks[0].params.height * tasks[0].params.width * 3;
    const errors = new Array<string | null>(tasks.length).fill(null);
    const wire: (WireTask | null)[] = [];
    const transfers: (ArrayBuffer | null)[] = [];
    // Files go by path; other lazy images are loaded here; pixels are copied and transferred.
    await Promise.all(
      tasks.map(async (t, i) => {
        let image = t.image;
        if (isLazyImage(image)) {
          if (image.file) {
            wire[i] = {
              image: {
                file: image.file,
                ...(image.maxPixels !== undefined ? { maxPixels: image.maxPixels } : {}),
              },
              params: t.params,
            };
            transfers[i] = null;
            return;
          }
          try {
            image = await image.load();
          } catch (e) {
            errors[i] = e instanceof Error ? e.message : String(e);
            wire[i] = null;
            return;
          }
        }
        const data = image.data.slice();
        wire[i] = { image: { data, height: image.height, width: image.width }, params: t.params };
        transfers[i] = data.buffer;
      }),
    );
    const chunks = Math.min(
      tasks.length,
      this.slots.length * Math.max(1, this.options.chunksPerWorker ?? 2),
    );
    const per = Math.ceil(tasks.length / chunks);
    const jobs: Promise<void>[] = [];
    for (let start = 0; start < tasks.length; start += per) {
      const idx: number[] = [];
      for (let i = start; i < Math.min(start + per, tasks.length); i++) if (wire[i]) idx.push(i);
      if (!idx.length) continue;
      const job = this.submit(
        idx.map((i) => wire[i]!),
        idx.map((i) => transfers[i]).filter((b): b is ArrayBuffer => b !== null),
        pixels,
      ).then(({ out: chunk, errors: errs }) => {
        idx.forEach((i, k) => {
          errors[i] = errs[k];
          if (errs[k] === null) out.set(chunk.subarray(k * pixels, (k + 1) * pixels), i * pixels);
        });
      });
      jobs.push(job);
    }
    await Promise.all(jobs);
    return errors;
  }

  /** Stops the threads. Pending jobs are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('WorkerPool closed'));
    await Promise.all(
      this.slots.splice(0).map(async (s) => {
        s.job?.reject(new Error('WorkerPool closed'));
        await s.worker.terminate();
      }),
    );
  }

  private start(url: URL): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(url);
      const slot: Slot = { worker };
      let ready = false;
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          ready = true;
          this.slots.push(slot);
          worker.unref();
          resolve();
          this.pump();
        } else if (m.type === 'init-error') {
          reject(new Error(`WorkerPool: worker failed to start: ${m.message}`));
        } else {
          const job = slot.job;
          slot.job = undefined;
          worker.unref();
          if (job && m.type === 'done') job.resolve({ out: m.out, errors: m.errors });
          else if (job && m.type === 'failed')
            job.reject(new Error(`WorkerPool: job failed: ${m.message}`));
          this.pump();
        }
      });
      worker.on('error', (e) => {
        if (!ready) reject(e);
        slot.job?.reject(e instanceof Error ? e : new Error(String(e)));
        slot.job = undefined;
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
        if (this.slots.length === 0)
          for (const job of this.queue.splice(0))
            job.reject(new Error('WorkerPool: every worker died'));
      });
      const init: ToWorker = {
        type: 'init',
        decoder: this.options.decoder ?? 'auto',
        imports: [...(this.options.imports ?? [])],
      };
      worker.postMessage(init);
    });
  }

  private submit(
    tasks: WireTask[],
    transfer: ArrayBuffer[],
    pixels: number,
  ): Promise<{ out: Float32Array; errors: (string | null)[] }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, tasks, transfer, pixels, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.job || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref(); // keep the process alive while a job is out
      const message: ToWorker = { type: 'run', id: job.id, tasks: job.tasks, pixels: job.pixels };
      slot.worker.postMessage(message, job.transfer);
    }
  }
}

/** Starts a worker pool (see WorkerPoolOptions). Close it when done. */
export function createWorkerPool(options: WorkerPoolOptions = {}): Promise<WorkerPool> {
  return WorkerPool.create(options);
}
