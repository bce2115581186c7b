import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { labelSets, parseLabels, predict } from '@bit/models/node';
import { maxPixelsFlag, numberFlag, parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { loadModelAndInputs } from '../model-inputs.js';
import { printJson } from '../output.js';
import type { Command } from './types.js';

const usage =
  'bit predict <image|.npy ...> --model <name|file|dir> [--top K] [--labels imagenet1k|imagenet21k|FILE] [--logits] [--size N] [--json] [--backend B]';

async function labelsFlag(value: string | undefined): Promise<string | string[] | undefined> {
  if (value === undefined) return undefined;
  if (labelSets().includes(value)) return value;
  try {
    return parseLabels(await readFile(value, 'utf8'));
  } catch {
    throw new UsageError(
      `--labels: '${value}' is neither ${labelSets().join(' nor ')} nor a readable file`,
      usage,
    );
  }
}

/** `bit predict`: top-K classes for images or .npy batches. */
export const predictCommand: Command = {
  name: 'predict',
  usage,
  summary: 'classify images or .npy batches with a BiT model',
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        model: { type: 'string' },
        top: { type: 'string' },
        labels: { type: 'string' },
        logits: { type: 'boolean', default: false },
        size: { type: 'string' },
        'max-pixels': { type: 'string' },
        json: { type: 'boolean', default: false },
        backend: { type: 'string' },
      },
      usage,
    );
    const topK = numberFlag(values.top, 'top', usage, { integer: true, min: 1 }) ?? 5;
    const labels = await labelsFlag(values.labels);
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
    const predictions: Array<Record<string, unknown>> = [];
    for (const { input, images } of inputs) {
      const preds = await predict(model, images, { topK, labels, logits: values.logits });
      images.dispose();
      preds.forEach((p, i) =>
        predictions.push({ input, ...(preds.length > 1 ? { index: i } : {}), ...p }),
      );
    }
    model.dispose();
    if (values.json) {
      printJson({ predictions });
    } else {
      for (const p of predictions) {
        const where = p.index !== undefined ? `${p.input}[${p.index}]` : p.input;
        process.stdout.write(`${where}\n`);
        for (const t of p.top as Array<{ index: number; label: string | null; score: number }>) {
          process.stdout.write(
            `  ${t.score.toFixed(4)}  ${t.index}${t.label ? `  ${t.label}` : ''}\n`,
          );
        }
      }
    }
    tf.disposeVariables();
    return 0;
  },
};
