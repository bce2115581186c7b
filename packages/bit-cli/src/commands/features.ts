import * as tf from '@tensorflow/tfjs-core';
import { disposeModel, features } from '@bit/models/node';
import { parseCommandArgs } from '../args';
import { IMAGE_INFERENCE_FLAGS, JSON_FLAG } from '../flags';
import { eachImage, loadModelAndInputs } from '../model-inputs';
import { printJson } from '../output';
import type { Command } from './types';

const usage =
  'bit features <image|.npy ...> --model <name|file|dir> [--size N] [--max-pixels N] [--json] [--backend B] [--engine tfjs|onnx] [--threads N] [--workers N]';

const flags = {
  ...IMAGE_INFERENCE_FLAGS,
  json: { ...JSON_FLAG, description: 'print the feature vectors as JSON on stdout' },
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
    const { model, inputs, workers } = await loadModelAndInputs(values, positionals, usage);
    try {
      const out: Array<{ input: string; index?: number; values: number[] }> = [];
      const many = workers && {
        window: workers.replicas,
        compute: (list: tf.Tensor4D[]) => workers.features(list),
      };
      for await (const r of eachImage(inputs(), (images) => features(model, images), many)) {
        const v = Array.from(r.result);
        if (values.json)
          out.push({
            input: r.input,
            ...(r.index !== undefined ? { index: r.index } : {}),
            values: v,
          });
        else {
          const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
          process.stdout.write(`${r.where}: ${v.length} features, L2 norm ${norm.toFixed(4)}\n`);
        }
      }
      if (values.json) printJson({ features: out });
    } finally {
      await workers?.close();
      await disposeModel(model);
      tf.disposeVariables();
    }
    return 0;
  },
};
