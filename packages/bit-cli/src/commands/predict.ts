import { readFile, stat } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import {
  disposeModel,
  getLabels,
  headClasses,
  labelSets,
  parseLabels,
  predict,
  type Prediction,
} from '@bit/models/node';
import { numberFlag, parseCommandArgs } from '../args';
import { UsageError } from '../errors';
import { IMAGE_INFERENCE_FLAGS, JSON_FLAG } from '../flags';
import { eachImage, loadModelAndInputs } from '../model-inputs';
import { printJson } from '../output';
import type { Command } from './types';

const usage =
  'bit predict <image|.npy ...> --model <name|file|dir> [--top K] [--labels imagenet1k|imagenet21k|FILE] [--logits] [--size N] [--max-pixels N] [--json] [--backend B] [--engine tfjs|onnx] [--threads N] [--workers N]';

const flags = {
  ...IMAGE_INFERENCE_FLAGS,
  top: { type: 'string', value: 'K', default: '5', description: 'classes to print per image' },
  labels: {
    type: 'string',
    value: 'SET|FILE',
    description: 'class names: imagenet1k, imagenet21k, or a file with one name per line',
    defaultText: "the model's own, else class indices",
  },
  logits: { type: 'boolean', default: false, description: 'also print the raw logits' },
  json: JSON_FLAG,
} as const;

/** `--labels`: a label set name or a file, with its class names (loaded to count them). */
async function labelsFlag(
  value: string | undefined,
): Promise<{ names: string[]; from: string } | undefined> {
  if (value === undefined) return undefined;
  if (labelSets().includes(value)) return { names: await getLabels(value), from: value };
  const found = await stat(value).catch(() => null);
  if (!found || !found.isFile()) {
    const why = found ? `${value} is a directory` : `no such file or directory: ${value}`;
    throw new UsageError(
      `--labels: '${value}' is neither ${labelSets().join(' nor ')} nor a file (${why})`,
      usage,
    );
  }
  return { names: parseLabels(await readFile(value, 'utf8')), from: value };
}

/** `bit predict`: top-K classes for images or .npy batches. */
export const predictCommand: Command = {
  name: 'predict',
  usage,
  summary: 'classify images or .npy batches with a BiT model',
  positionals: [
    ['<image|.npy ...>', 'image files (PNG, JPEG, ...) or .npy batches (NHWC float32 in [0, 1])'],
  ],
  flags,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, flags, usage);
    const topK = numberFlag(values.top, 'top', usage, { integer: true, min: 1 })!;
    const labels = await labelsFlag(values.labels);
    const { model, inputs, workers } = await loadModelAndInputs(values, positionals, usage);
    try {
      const classes = headClasses(model);
      if (labels && labels.names.length !== classes) {
        throw new UsageError(
          `--labels ${labels.from} has ${labels.names.length} class names, but the model's head has ${classes} classes`,
          usage,
        );
      }
      const predictions: Array<Record<string, unknown>> = [];
      const options = { topK, ...(labels ? { labels: labels.names } : {}), logits: values.logits };
      const many = workers && {
        window: workers.replicas,
        compute: (list: tf.Tensor4D[]) => workers.predict(list, options),
      };
      for await (const r of eachImage(
        inputs(),
        (images) => predict(model, images, options),
        many,
      )) {
        const one = {
          input: r.input,
          ...(r.index !== undefined ? { index: r.index } : {}),
          ...r.result,
        };
        if (values.json) predictions.push(one);
        else process.stdout.write(formatPrediction(r.where, r.result));
      }
      if (values.json) printJson({ predictions });
    } finally {
      await workers?.close();
      await disposeModel(model);
      tf.disposeVariables();
    }
    return 0;
  },
};

/** One image's prediction as text: its name, then score, index and label per class, aligned. */
function formatPrediction(where: string, p: Prediction): string {
  const width = Math.max(...p.top.map((t) => String(t.index).length));
  let text = `${where}\n`;
  for (const t of p.top) {
    text += `  ${t.score.toFixed(4)}  ${String(t.index).padStart(width)}${t.label ? `  ${t.label}` : ''}\n`;
  }
  if (p.logits) text += `  logits ${p.logits.map((v) => v.toFixed(4)).join(' ')}\n`;
  return text;
}
