/**
 * Executors run the image work of a batch: load/decode each image and apply its transform
 * parameters into the batch buffer. The local executor runs on the calling thread (browser,
 * or Node without workers); @bit/data/node adds a worker-thread pool with the same
 * interface and the same results.
 */
import { loadImage, type ImageRef } from '../image';
import { applyAugmentInto, type AugmentParams } from '../transforms/hyperrule';

/** One image to produce: its source image, its parameters, and a name for messages. */
export interface ItemTask {
  readonly image: ImageRef;
  readonly params: AugmentParams;
}

/**
 * Runs tasks, writing task `i`'s float32 pixels into `out` at `i * height * width * 3`.
 * Resolves to one entry per task: null when it worked, else the reason it failed.
 */
export interface BatchExecutor {
  execute(tasks: readonly ItemTask[], out: Float32Array): Promise<(string | null)[]>;
  /** Releases threads or other resources. */
  close?(): Promise<void>;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Executes one task into `out` at `offset`; returns null or the failure reason. */
export async function executeTask(
  task: ItemTask,
  out: Float32Array,
  offset: number,
): Promise<string | null> {
  let image;
  try {
    image = await loadImage(task.image);
  } catch (e) {
    return reason(e);
  }
  applyAugmentInto(image, task.params, out, offset);
  return null;
}

/**
 * An executor on the calling thread. `concurrency` images are loaded at once (useful when
 * loading is asynchronous, e.g. sharp's own thread pool or the browser's decoder).
 */
export function createLocalExecutor(options: { concurrency?: number } = {}): BatchExecutor {
  const concurrency = Math.max(1, options.concurrency ?? 4);
  return {
    async execute(tasks, out) {
      const results = new Array<string | null>(tasks.length).fill(null);
      let next = 0;
      const run = async (): Promise<void> => {
        while (next < tasks.length) {
          const i = next++;
          const t = tasks[i];
          results[i] = await executeTask(t, out, i * t.params.height * t.params.width * 3);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, run));
      return results;
    },
  };
}
