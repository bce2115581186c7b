import * as tf from '@tensorflow/tfjs-core';
import { features } from '@bit/models/node';
import { numberFlag, parseCommandArgs } from '../args';
import { BACKEND_FLAG, JSON_FLAG } from '../flags';
import { loadModelAndInputs } from '../model-inputs';
import { printJson } from '../output';
import type { Command } from './types';

const usage =
  'bit features <image|.npy ...> --model <name|file|dir> [--size N] [--json] [--backend B]';

const flags = {
  model: {
    type: 'string',
    value: 'MODEL',
    required: true,
    description: 'a zoo name (bit models), an .npz or TF.js checkpoint, or a run folder',
  },
  size: {
    type: 'string',
    value: 'N',
    description: 'resize images to N x N (.npy inputs are used as they are)',
    defaultText: "the model's resolution, else 224",
  },
  json: { ...JSON_FLAG, description: 'print the feature vectors as JSON on stdout' },
  backend: BACKEND_FLAG,
} as const;

/** `bit features`: pre-logits feature vectors. */
export const featuresCommand: Command = {
  name: 'features',
  usage,
  summary: 'pre-logits feature vectors of images or .npy batches',
  positionals: [
    ['<image|.npy ...>', 'image files (PNG, JPEG, ...) or .npy batches (NHWC float32 in [0, 1])'],
  ],
  notes: ['Without --json, prints each input with the length and norm of its feature vector.'],
  flags,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, flags, usage);
    const size = numberFlag(values.size, 'size', usage, { integer: true, min: 1 });
    const { model, inputs } = await loadModelAndInputs(
      { model: values.model, backend: values.backend, size },
      positionals,
      usage,
    );
    try {
      const out: Array<{ input: string; index?: number; values: number[] }> = [];
      for await (const { input, images } of inputs()) {
        const f = await features(model, images);
        images.dispose();
        f.forEach((v, i) => {
          const one = { input, ...(f.length > 1 ? { index: i } : {}), values: Array.from(v) };
          if (values.json) out.push(one);
          else {
            const where = f.length > 1 ? `${input}[${i}]` : input;
            const norm = Math.hypot(...one.values);
            process.stdout.write(`${where}: ${v.length} features, L2 norm ${norm.toFixed(4)}\n`);
          }
        });
      }
      if (values.json) printJson({ features: out });
    } finally {
      model.dispose();
      tf.disposeVariables();
    }
    return 0;
  },
};
