import * as tf from '@tensorflow/tfjs-core';
import { features } from '@bit/models/node';
import { defaultWorkers, maxPixelsFlag, numberFlag, parseCommandArgs, workersFlag } from '../args';
import {
  BACKEND_FLAG,
  JSON_FLAG,
  MAX_PIXELS_FLAG,
  MODEL_FLAG,
  SIZE_FLAG,
  WORKERS_FLAG,
} from '../flags';
import { eachImage, loadModelAndInputs } from '../model-inputs';
import { printJson } from '../output';
import type { Command } from './types';

const usage =
  'bit features <image|.npy ...> --model <name|file|dir> [--size N] [--max-pixels N] [--json] [--backend B] [--workers N]';

const flags = {
  model: MODEL_FLAG,
  size: SIZE_FLAG,
  'max-pixels': MAX_PIXELS_FLAG,
  json: { ...JSON_FLAG, description: 'print the feature vectors as JSON on stdout' },
  backend: BACKEND_FLAG,
  workers: { ...WORKERS_FLAG, defaultText: 'the number of cores, at most one per input' },
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
    // Default: one replica per core, at most one per input (a lone image gains nothing).
    const workerCount =
      values.workers === undefined
        ? Math.min(defaultWorkers(), Math.max(1, positionals.length))
        : workersFlag(values.workers, usage);
    const { model, inputs, workers } = await loadModelAndInputs(
      {
        model: values.model,
        backend: values.backend,
        workers: workerCount,
        size,
        maxPixels: maxPixelsFlag(values['max-pixels'], usage),
      },
      positionals,
      usage,
    );
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
      model.dispose();
      tf.disposeVariables();
    }
    return 0;
  },
};
