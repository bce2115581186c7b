import * as tf from '@tensorflow/tfjs-core';
import { features } from '@bit/models/node';
import { maxPixelsFlag, numberFlag, parseCommandArgs } from '../args.js';
import { loadModelAndInputs } from '../model-inputs.js';
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
        'max-pixels': { type: 'string' },
        json: { type: 'boolean', default: false },
        backend: { type: 'string' },
      },
      usage,
    );
    const size = numberFlag(values.size, 'size', usage, { integer: true, min: 1 });
    const { model, inputs } = await loadModelAndInputs(
      {
        model: values.model,
        backend: values.backend,
        size,
        maxPixels: maxPixelsFlag(values['max-pixels'], usage),
      },
      positionals,
      usage,
    );
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
