import type * as tfl from '@tensorflow/tfjs-layers';
import { disposeModel, getBiTMetadata, isEngineModel, type BiTModel } from '@bit/models/node';
import { createInferenceWorkers, type InferenceWorkers } from '@bit/train/node';
import { defaultWorkers, maxPixelsFlag, numberFlag, workersFlag } from './args';
import { selectBackend, workerBackend } from './backends';
import { UsageError } from './errors';
import { decoderForModel } from './images';
import { loadInput, requireFiles, type LoadedInput } from './inputs';
import { engineFlags, refuseEngineWorkers } from './engine';
import { loadModelWithEngine } from './model-flags';

/** A loaded model and its inputs, read one at a time. */
export interface ModelAndInputs {
  /** A tfjs model, or an engine model with `--engine onnx`. */
  model: BiTModel;
  /** Side images are resized to (`--size`, else the model's resolution, else 224). */
  resolution: number;
  /** Yields each input in turn (so a closed pipe or an error stops the reading too). */
  inputs(): AsyncGenerator<LoadedInput>;
  /** Replicas of the model over worker threads (`--workers` > 1); the caller closes them. */
  workers?: InferenceWorkers;
}

/** `--workers n` of an inference command: replicas of `model` on backend `name`, for n > 1. */
export async function inferenceWorkers(
  model: tfl.LayersModel,
  n: number,
  name: string,
): Promise<InferenceWorkers | undefined> {
  return n > 1 ? createInferenceWorkers(model, { workers: n, ...workerBackend(name) }) : undefined;
}

/** The parsed values of the flags.ts IMAGE_INFERENCE_FLAGS (strings, as the command line gives them). */
export interface ImageInferenceValues {
  model?: string;
  size?: string;
  'max-pixels'?: string;
  backend?: string;
  engine?: string;
  threads?: string;
  workers?: string;
}

/**
 * The common start of `predict` and `features`, which parses IMAGE_INFERENCE_FLAGS: checks
 * `--model` and the inputs (before any model is loaded), selects the backend and loads the model; the inputs are read as they are used, at
 * `--size` (else the model's resolution, else 224).
 */
export async function loadModelAndInputs(
  values: ImageInferenceValues,
  paths: string[],
  usage: string,
): Promise<ModelAndInputs> {
  const size = numberFlag(values.size, 'size', usage, { integer: true, min: 1 });
  const engine = engineFlags(values, usage);
  const maxPixels = maxPixelsFlag(values['max-pixels'], usage);
  if (!values.model) throw new UsageError('--model is required', usage);
  // Default: one replica per core, at most one per input (a lone image gains nothing).
  const replicas =
    values.workers === undefined
      ? Math.min(defaultWorkers(), Math.max(1, paths.length))
      : workersFlag(values.workers, usage);
  await requireFiles(paths, usage);
  const backend = await selectBackend(values.backend, usage);
  refuseEngineWorkers(engine, values.workers, replicas, usage);
  const model = await loadModelWithEngine(values.model, usage, engine);
  let workers: InferenceWorkers | undefined;
  try {
    if (!isEngineModel(model)) workers = await inferenceWorkers(model, replicas, backend);
  } catch (e) {
    await disposeModel(model);
    throw e;
  }
  const resolution = size ?? getBiTMetadata(model)?.resolution ?? 224;
  const decoder = decoderForModel(maxPixels);
  return {
    model,
    resolution,
    ...(workers ? { workers } : {}),
    async *inputs() {
      for (const p of paths) yield await loadInput(p, decoder, resolution, usage);
    },
  };
}

/** One image's result: its input, its index in a batch of several (.npy), and a display name. */
export interface ImageResult<T> {
  input: string;
  /** The image's index in its input, when the input holds several (an .npy batch). */
  index?: number;
  /** `input`, or `input[index]` for an image of a batch. */
  where: string;
  result: T;
}

/** Several inputs at once (worker replicas): up to `window` inputs per call of `compute`. */
export interface ManyInputs<T> {
  readonly window: number;
  compute(images: LoadedInput['images'][]): Promise<T[][]>;
}

/**
 * Runs `compute` on each input's images in turn (disposing them) and yields each image's result
 * as soon as its input is done, so output can be written (and a closed pipe noticed) as it goes.
 * With `many`, up to `many.window` inputs are computed together (results still in input order).
 */
export async function* eachImage<T>(
  inputs: AsyncIterable<LoadedInput>,
  compute: (images: LoadedInput['images']) => Promise<T[]>,
  many?: ManyInputs<T>,
): AsyncGenerator<ImageResult<T>> {
  const window = Math.max(1, many?.window ?? 1);
  let group: LoadedInput[] = [];
  const run = async function* (): AsyncGenerator<ImageResult<T>> {
    const taken = group;
    group = [];
    let all: T[][];
    try {
      all = many
        ? await many.compute(taken.map((g) => g.images))
        : [await compute(taken[0].images)];
    } finally {
      for (const g of taken) g.images.dispose();
    }
    for (const [k, { input }] of taken.entries()) yield* perImage(input, all[k]);
  };
  for await (const loaded of inputs) {
    group.push(loaded);
    if (group.length >= window) yield* run();
  }
  if (group.length) yield* run();
}

/** The results of one input's images, named as one image or as `input[i]` of a batch. */
function* perImage<T>(input: string, results: T[]): Generator<ImageResult<T>> {
  for (const [i, result] of results.entries()) {
    const many = results.length > 1;
    yield {
      input,
      ...(many ? { index: i } : {}),
      where: many ? `${input}[${i}]` : input,
      result,
    };
  }
}
