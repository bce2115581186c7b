/**
 * One worker thread with request / reply by id, shared by the training and inference pools:
 * waits for its 'ready', keeps the process alive only while a request is out, and turns a
 * failure there (an error it reports, an uncaught error, an exit) into a TrainWorkerError.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TrainConfigError, TrainWorkerError } from '../errors';

/** The built worker script `name` (e.g. 'train-worker') beside this module, or the dist one. */
export function builtWorkerUrl(name: string, given?: string | URL): URL {
  if (given !== undefined) {
    return typeof given === 'string' && !/^file:/.test(given)
      ? pathToFileURL(given)
      : new URL(given);
  }
  const here = import.meta.url;
  if (/\.cjs$/.test(here)) return new URL(`./${name}.cjs`, here);
  if (/\.m?js$/.test(here)) return new URL(`./${name}.js`, here);
  // Running from the TypeScript sources (tests): the package's build.
  return new URL(`../../dist/${name}.js`, here);
}

interface ErrorReply {
  readonly type: 'error';
  readonly id?: number;
  readonly name: string;
  readonly message: string;
  readonly inputError?: boolean;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** A started worker thread (see {@link WorkerThread.start}). */
export class WorkerThread<In extends object, Out extends { type: string; id?: number }> {
  private readonly pending = new Map<number, Pending>();
  private failure: TrainWorkerError | undefined;
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    /** 1-based index, used in error messages. */
    readonly index: number,
    private readonly what: string,
  ) {
    worker.on('message', (m: Out | ErrorReply) => this.onMessage(m));
    worker.on('error', (e) =>
      this.fail(
        new TrainWorkerError(`${what} worker ${index} failed: ${e.message}`, {
          cause: e,
          worker: index,
          remoteName: e.name,
        }),
      ),
    );
    worker.on('exit', (code) => {
      if (!this.closed) {
        this.fail(
          new TrainWorkerError(`${what} worker ${index} exited (code ${code})`, { worker: index }),
        );
      }
    });
  }

  /**
   * Starts the script at `url`, sends `init` (id 0) and waits for its `{ type: 'ready' }`.
   * @throws TrainConfigError when the script is missing, TrainWorkerError when it fails to start.
   */
  static async start<I extends object, O extends { type: string; id?: number }>(
    url: URL,
    index: number,
    what: string,
    init: I,
    transfer: ArrayBuffer[] = [],
  ): Promise<WorkerThread<I, O>> {
    if (!existsSync(fileURLToPath(url))) {
      throw new TrainConfigError(
        `${what} worker script ${fileURLToPath(url)} not found (build @bit/train with tsup, or pass workerUrl)`,
      );
    }
    const thread = new WorkerThread<I, O>(new Worker(url), index, what);
    try {
      await thread.request(0, init, transfer);
    } catch (e) {
      await thread.close();
      throw e;
    }
    return thread;
  }

  /** Sends `message` (its reply carries `id`; use ids > 0) and waits for the reply. */
  request(id: number, message: In, transfer: ArrayBuffer[] = []): Promise<Out> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) {
      return Promise.reject(
        new TrainWorkerError(`${this.what} worker ${this.index} is closed`, { worker: this.index }),
      );
    }
    return new Promise<Out>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.ref(); // keep the process alive while a request is out
      this.worker.postMessage(message, transfer);
    });
  }

  /** Stops the thread (idempotent); requests still out are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new TrainWorkerError(`${this.what} worker ${this.index} was closed`, {
      worker: this.index,
    });
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    await this.worker.terminate();
  }

  private onMessage(m: Out | ErrorReply): void {
    // 'ready' answers the init request (id 0).
    const id = m.type === 'ready' ? 0 : (m.id ?? 0);
    const p = this.pending.get(id);
    if (m.type === 'error') {
      const e = m as ErrorReply;
      const error = new TrainWorkerError(
        `${this.what} worker ${this.index}: ${e.name}: ${e.message}`,
        { worker: this.index, remoteName: e.name, inputError: e.inputError },
      );
      if (m.id === undefined && !p) this.fail(error);
      else {
        this.pending.delete(id);
        p?.reject(error);
      }
    } else if (p) {
      this.pending.delete(id);
      p.resolve(m);
    }
    if (this.pending.size === 0) this.worker.unref();
  }

  private fail(error: TrainWorkerError): void {
    this.failure ??= error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    this.worker.unref();
  }
}

/** Starts `count` threads with `init(i)` each; when one fails, closes the others and throws. */
export async function startThreads<I extends object, O extends { type: string; id?: number }>(
  url: URL,
  count: number,
  what: string,
  init: (index: number) => { message: I; transfer?: ArrayBuffer[] },
): Promise<WorkerThread<I, O>[]> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, i) => {
      const { message, transfer } = init(i + 1);
      return WorkerThread.start<I, O>(url, i + 1, what, message, transfer);
    }),
  );
  const threads = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(threads.map((t) => t.close()));
    throw failed.reason;
  }
  return threads;
}

/** Checks a worker count option: a positive integer. */
export function checkWorkerCount(who: string, workers: unknown): number {
  if (typeof workers !== 'number' || !Number.isInteger(workers) || workers < 1) {
    throw new TrainConfigError(`${who}: workers must be an integer >= 1, got ${String(workers)}`);
  }
  return workers;
}
