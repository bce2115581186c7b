import * as tf from '@tensorflow/tfjs-core';
import { features, getBiTMetadata } from '@bit/models/node';
import { numberFlag, parseCommandArgs } from '../args.js';
import { selectBackend } from '../backends.js';
import { UsageError } from '../errors.js';
import { imageDecoder } from '../images.js';
import { loadInputs, requireFiles } from '../inputs.js';
import { loadModelFlag } from '../model-flags.js';
import { printJson } from '../output.js';
import type { Command } from './types.js';

const usage =
  'bit features <image|.npy ...> --model <name|file|dir> [--size N] [--json] [--backend B]';

/** `bit features`: pre-logits feature vectors. */
export const featuresCommand: Command = {
  name: 'features',
  usage,
  summary: 'pre-logits feature vectors of images or .npy batches',
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        model: { type: 'string' },
        size: { type: 'string' },
        json: { type: 'boolean', default: false },
        backend: { type: 'string' },
      },
      usage,
    );
    if (!values.model) throw new UsageError('--model is required', usage);
    if (positionals.length === 0)
      throw new UsageError('no input given (images or .npy files)', usage);
    const size = numberFlag(values.size, 'size', usage, { integer: true, min: 1 });
    await requireFiles(positionals, usage);
    await selectBackend(values.backend, usage);
    const model = await loadModelFlag(values.model);
    const resolution = size ?? getBiTMetadata(model)?.resolution ?? 224;
    const inputs = await loadInputs(positionals, await imageDecoder(), resolution, usage);
    const out: Array<{ input: string; index?: number; values: number[] }> = [];
    for (const { input, images } of inputs) {
      const f = await features(model, images);
      images.dispose();
      f.forEach((v, i) =>
        out.push({ input, ...(f.length > 1 ? { index: i } : {}), values: Array.from(v) }),
      );
    }
    model.dispose();
    if (values.json) printJson({ features: out });
    else for (const f of out) process.stdout.write(`${f.input}: ${f.values.length} features\n`);
    tf.disposeVariables();
    return 0;
  },
};
