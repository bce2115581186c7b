import type * as tfl from '@tensorflow/tfjs-layers';
import { getBiTMetadata } from '@bit/models/node';
import { selectBackend } from './backends.js';
import { UsageError } from './errors.js';
import { decoderForModel } from './images.js';
import { loadInputs, requireFiles, type LoadedInput } from './inputs.js';
import { loadModelFlag } from './model-flags.js';

/**
 * The common start of `predict` and `features`: checks `--model` and the inputs (before any model
 * is loaded), selects the backend, loads the model, then the inputs at `--size` (else the model's
 * resolution, else 224).
 */
export async function loadModelAndInputs(
  flags: { model?: string; backend?: string; size?: number; maxPixels?: number },
  paths: string[],
  usage: string,
): Promise<{ model: tfl.LayersModel; inputs: LoadedInput[] }> {
  if (!flags.model) throw new UsageError('--model is required', usage);
  if (paths.length === 0) throw new UsageError('no input given (images or .npy files)', usage);
  await requireFiles(paths, usage);
  await selectBackend(flags.backend, usage);
  const model = await loadModelFlag(flags.model);
  const resolution = flags.size ?? getBiTMetadata(model)?.resolution ?? 224;
  return {
    model,
    inputs: await loadInputs(paths, decoderForModel(flags.maxPixels), resolution, usage),
  };
}
