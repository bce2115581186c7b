import { getBiTMetadata, type BiTModel } from '@bit/models/node';
import { selectBackend } from './backends';
import { UsageError } from './errors';
import { decoderForModel } from './images';
import { loadInput, requireFiles, type LoadedInput } from './inputs';
import type { EngineChoice } from './engine';
import { loadModelWithEngine } from './model-flags';

/** A loaded model and its inputs, read one at a time. */
export interface ModelAndInputs {
  /** A tfjs model, or an engine model with `--engine onnx`. */
  model: BiTModel;
  /** Side images are resized to (`--size`, else the model's resolution, else 224). */
  resolution: number;
  /** Yields each input in turn (so a closed pipe or an error stops the reading too). */
  inputs(): AsyncGenerator<LoadedInput>;
}

/**
 * The common start of `predict` and `features`: checks `--model` and the inputs (before any model
 * is loaded), selects the backend and loads the model; the inputs are read as they are used, at
 * `--size` (else the model's resolution, else 224).
 */
export async function loadModelAndInputs(
  flags: {
    model?: string;
    backend?: string;
    size?: number;
    maxPixels?: number;
    engine?: EngineChoice;
  },
  paths: string[],
  usage: string,
): Promise<ModelAndInputs> {
  if (!flags.model) throw new UsageError('--model is required', usage);
  await requireFiles(paths, usage);
  await selectBackend(flags.backend, usage);
  const model = await loadModelWithEngine(flags.model, usage, flags.engine ?? { engine: 'tfjs' });
  const resolution = flags.size ?? getBiTMetadata(model)?.resolution ?? 224;
  const decoder = decoderForModel(flags.maxPixels);
  return {
    model,
    resolution,
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

/**
 * Runs `compute` on each input's images in turn (disposing them) and yields each image's result
 * as soon as its input is done, so output can be written (and a closed pipe noticed) as it goes.
 */
export async function* eachImage<T>(
  inputs: AsyncIterable<LoadedInput>,
  compute: (images: LoadedInput['images']) => Promise<T[]>,
): AsyncGenerator<ImageResult<T>> {
  for await (const { input, images } of inputs) {
    let results: T[];
    try {
      results = await compute(images);
    } finally {
      images.dispose();
    }
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
}
