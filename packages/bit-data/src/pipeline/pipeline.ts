/**
 * The training/eval input pipeline: plan (order + augmentation + MixUp lambda, from one
 * seed) -> execute (decode + transform, here or in worker threads) -> batch -> prefetch.
 */
import { DataArgumentError } from '../errors';
import { mixupRowsInPlace, oneHot } from '../mixup/arrays';
import {
  defaultWarningHandler,
  type DataSource,
  type SkippedFile,
  type WarningHandler,
} from '../sources/types';
import {
  checkCropArea,
  checkResolution,
  type Resolution,
  type TransformOptions,
} from '../transforms/hyperrule';
import { createLocalExecutor, type BatchExecutor, type ItemTask } from './executor';
import { BatchPlanner, type PipelineState, type PlannedItem } from './planner';
import { prefetchIterator } from './stream';

/** Pipeline options. Only `batchSize` and `resolution` are required. */
export interface PipelineOptions {
  readonly batchSize: number;
  /** Resize/crop sizes (from @bit/hyperrule's getResolution). */
  readonly resolution: Resolution;
  /** 'train' (default): shuffle, repeat forever, random crop + flip, drop the last partial batch. 'eval': none of these. */
  readonly mode?: 'train' | 'eval';
  /** Seed for order, augmentation and MixUp (default 0). */
  readonly seed?: number;
  /** Random crop (train; default true). */
  readonly crop?: boolean;
  /** Inception-style crop area range instead of the fixed-size crop (train; see TransformOptions). */
  readonly cropArea?: TransformOptions['cropArea'];
  /** Random horizontal flip (train; default true). */
  readonly flip?: boolean;
  /** Extra registered augmentations (train). */
  readonly augmentations?: TransformOptions['augmentations'];
  /** true: a fresh permutation per epoch; { buffer }: buffered shuffle; false: file order. Default: true in train. */
  readonly shuffle?: boolean | { readonly buffer: number };
  /** Sample with replacement: 'auto' (default in train) when the source is smaller than a batch. */
  readonly replacement?: boolean | 'auto';
  /** Passes over the data (default: Infinity in train, 1 in eval). */
  readonly epochs?: number;
  /** Drop the last partial batch (default: true in train). */
  readonly dropRemainder?: boolean;
  /** MixUp alpha (0 or undefined: none), or { alpha, every }: `every` consecutive batches share a lambda (batch split). */
  readonly mixup?: number | { readonly alpha: number; readonly every?: number };
  /** Labels as class indices (Int32Array) or one-hot (Float32Array [B, K]). Default: one-hot with MixUp, else index. */
  readonly labels?: 'index' | 'onehot';
  /** Batches prepared ahead of the consumer (default 2). */
  readonly prefetch?: number;
  /** Where image work runs (default: the calling thread). */
  readonly executor?: BatchExecutor;
  /** Resume from a batch's `state`. */
  readonly state?: PipelineState;
  /** Receives a message per broken image (default console.warn). */
  readonly onWarning?: WarningHandler;
}

/** One batch. */
export interface Batch {
  /** [size, height, width, 3] float32 in [0, 1]. */
  readonly images: Float32Array;
  /** Class indices [size], or one-hot / MixUp-mixed [size, numClasses]. */
  readonly labels: Int32Array | Float32Array;
  readonly shape: readonly [number, number, number, 3];
  readonly size: number;
  readonly numClasses: number;
  /** The MixUp lambda used (1 without MixUp). */
  readonly lambda: number;
  /** The source indices of the examples, in batch order. */
  readonly indices: Int32Array;
  /** Batch number, from 0 (counts across resumes). */
  readonly step: number;
  /** Planner state after this batch: pass it as `state` to resume with the next batch. */
  readonly state: PipelineState;
}

interface Resolved {
  readonly planner: BatchPlanner;
  readonly dropRemainder: boolean;
  readonly oneHot: boolean;
  readonly crop: number;
}

/** An input pipeline over a source; iterate it with `for await`. */
export class Pipeline implements AsyncIterable<Batch> {
  /** Broken images met while running (also reported through onWarning). */
  readonly skipped: SkippedFile[] = [];
  private lastState: PipelineState | undefined;

  constructor(
    readonly source: DataSource,
    readonly options: PipelineOptions,
  ) {
    this.resolve(); // validate options early
  }

  /** The state after the last batch handed to the consumer (for checkpoints). */
  getState(): PipelineState | undefined {
    return this.lastState;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Batch> {
    const it = prefetchIterator(this.generate(), this.options.prefetch ?? 2);
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        this.lastState = r.value.state;
        yield r.value;
      }
    } finally {
      await it.return?.();
    }
  }

  private resolve(): Resolved {
    const o = this.options;
    const mode = o.mode ?? 'train';
    if (mode !== 'train' && mode !== 'eval')
      throw new DataArgumentError(`pipeline: mode must be 'train' or 'eval', got ${String(mode)}`);
    if (!Number.isInteger(o.batchSize) || o.batchSize <= 0) {
      throw new DataArgumentError(
        `pipeline: batchSize must be a positive integer, got ${o.batchSize}`,
      );
    }
    checkResolution(o.resolution);
    checkCropArea(o.cropArea);
    const train = mode === 'train';
    const mix = typeof o.mixup === 'number' ? { alpha: o.mixup } : (o.mixup ?? { alpha: 0 });
    const every = mix.every ?? 1;
    if (!(mix.alpha >= 0) || !Number.isInteger(every) || every <= 0) {
      throw new DataArgumentError(
        `pipeline: mixup needs alpha >= 0 and an integer every >= 1, got ${JSON.stringify(mix)}`,
      );
    }
    const size = this.source.size;
    const shuffle = o.shuffle ?? train;
    const replacement = o.replacement ?? (train ? 'auto' : false);
    const withReplacement = replacement === true || (replacement === 'auto' && size < o.batchSize);
    const order = withReplacement
      ? 'replacement'
      : typeof shuffle === 'object'
        ? shuffle
        : shuffle
          ? 'shuffle'
          : 'sequential';
    const labels = o.labels ?? (mix.alpha > 0 ? 'onehot' : 'index');
    if (mix.alpha > 0 && labels !== 'onehot')
      throw new DataArgumentError("pipeline: MixUp needs labels: 'onehot'");
    const planner = new BatchPlanner(
      {
        size,
        seed: o.seed ?? 0,
        order,
        epochs: o.epochs ?? (train ? Infinity : 1),
        transform: {
          mode,
          resolution: o.resolution,
          crop: o.crop,
          cropArea: o.cropArea,
          flip: o.flip,
          augmentations: o.augmentations,
        },
        mixupAlpha: mix.alpha,
        mixupEvery: every,
      },
      o.state,
    );
    return {
      planner,
      dropRemainder: o.dropRemainder ?? train,
      oneHot: labels === 'onehot',
      crop: o.resolution.crop,
    };
  }

  private async *generate(): AsyncGenerator<Batch> {
    const { planner, dropRemainder, oneHot: wantOneHot, crop } = this.resolve();
    const executor = this.options.executor ?? createLocalExecutor();
    const warn = this.options.onWarning ?? defaultWarningHandler;
    const { batchSize } = this.options;
    const k = this.source.metadata.classes.length;
    const pixels = crop * crop * 3;
    for (;;) {
      const step = planner.currentStep;
      const lambda = planner.nextLambda();
      const images = new Float32Array(batchSize * pixels);
      const chosen: PlannedItem[] = [];
      let exhausted = false;
      while (chosen.length < batchSize && !exhausted) {
        const wanted: PlannedItem[] = [];
        while (chosen.length + wanted.length < batchSize) {
          const item = planner.nextItem();
          if (!item) {
            exhausted = true;
            break;
          }
          wanted.push(item);
        }
        if (!wanted.length) break;
        const tasks: ItemTask[] = wanted.map((w) => ({
          image: this.source.example(w.index).image,
          params: w.params,
        }));
        const base = chosen.length;
        const results = await executor.execute(
          tasks,
          images.subarray(base * pixels, (base + wanted.length) * pixels),
        );
        results.forEach((error, i) => {
          const item = wanted[i];
          if (error === null) {
            const from = (base + i) * pixels;
            // Close the gaps left by broken images.
            if (chosen.length !== base + i)
              images.copyWithin(chosen.length * pixels, from, from + pixels);
            chosen.push(item);
            return;
          }
          const image = tasks[i].image;
          const path = 'path' in image ? image.path : `example ${item.index}`;
          this.skipped.push({ path, reason: error });
          warn(`skipping broken image ${path}: ${error}`);
          planner.markBroken(item.index);
        });
      }
      const size = chosen.length;
      if (size === 0 || (size < batchSize && dropRemainder)) return;
      const indices = Int32Array.from(chosen, (c) => c.index);
      const labelIdx = Int32Array.from(indices, (i) => this.source.label(i));
      const batchImages = size === batchSize ? images : images.slice(0, size * pixels);
      let labels: Int32Array | Float32Array = labelIdx;
      if (wantOneHot) {
        labels = oneHot(labelIdx, k);
        if (lambda !== 1) {
          mixupRowsInPlace(batchImages, size, lambda);
          mixupRowsInPlace(labels, size, lambda);
        }
      }
      yield {
        images: batchImages,
        labels,
        shape: [size, crop, crop, 3],
        size,
        numClasses: k,
        lambda,
        indices,
        step,
        state: planner.getState(),
      };
      if (size < batchSize) return;
    }
  }
}

/** Creates an input pipeline over `source` (see PipelineOptions). */
export function createPipeline(source: DataSource, options: PipelineOptions): Pipeline {
  return new Pipeline(source, options);
}
