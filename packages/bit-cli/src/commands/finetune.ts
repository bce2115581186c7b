import { getBiTMetadata } from '@bit/models/node';
import { fineTuneRun } from '@bit/train/node';
import { maxPixelsFlag, numberFlag, parseCommandArgs } from '../args.js';
import { selectBackend } from '../backends.js';
import { UsageError } from '../errors.js';
import { progressCallbacks, reportRun } from '../train-report.js';
import type { Command } from './types.js';

const usage =
  'bit finetune --model <name|file> --train <source> [--val <source>] --out DIR [--batch 512] [--batch-split N] ' +
  '[--base-lr 0.003] [--steps N] [--resolution CROP] [--examples-per-class K] [--mixup auto|A] [--eval-every N] ' +
  '[--checkpoint-every N] [--head-only] [--no-crop] [--no-flip] [--seed S] [--resume] [--overwrite] [--backend B] [--max-pixels N] [--json]';

/** `bit finetune`: the BiT-HyperRule fine-tuning loop in a run folder. */
export const finetuneCommand: Command = {
  name: 'finetune',
  usage,
  summary: 'fine-tune a BiT model on a dataset with the BiT-HyperRule (resumable run folder)',
  async run(argv) {
    const { values } = parseCommandArgs(
      argv,
      {
        model: { type: 'string' },
        train: { type: 'string' },
        val: { type: 'string' },
        out: { type: 'string' },
        batch: { type: 'string' },
        'batch-split': { type: 'string' },
        'base-lr': { type: 'string' },
        steps: { type: 'string' },
        resolution: { type: 'string' },
        'examples-per-class': { type: 'string' },
        mixup: { type: 'string', default: 'auto' },
        'eval-every': { type: 'string' },
        'checkpoint-every': { type: 'string' },
        'head-only': { type: 'boolean', default: false },
        'no-crop': { type: 'boolean', default: false },
        'no-flip': { type: 'boolean', default: false },
        seed: { type: 'string' },
        resume: { type: 'boolean', default: false },
        overwrite: { type: 'boolean', default: false },
        backend: { type: 'string' },
        'max-pixels': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      usage,
    );
    for (const flag of ['model', 'train', 'out'] as const) {
      if (!values[flag]) throw new UsageError(`--${flag} is required`, usage);
    }
    const int = (flag: keyof typeof values, min: number) =>
      numberFlag(values[flag] as string | undefined, flag, usage, { integer: true, min });
    const batchSize = int('batch', 1) ?? 512;
    const batchSplit = int('batch-split', 1) ?? 1;
    if (batchSplit > batchSize) {
      throw new UsageError(
        `--batch-split (${batchSplit}) must not exceed --batch (${batchSize})`,
        usage,
      );
    }
    const steps = int('steps', 5);
    const crop = int('resolution', 8);
    const examplesPerClass = int('examples-per-class', 1);
    const evalEvery = int('eval-every', 1);
    const checkpointEvery = int('checkpoint-every', 1);
    const seed = int('seed', 0) ?? 0;
    const baseLr = numberFlag(values['base-lr'], 'base-lr', usage, { min: Number.MIN_VALUE });
    let mixup: 'auto' | number = 'auto';
    if (values.mixup !== 'auto') {
      mixup = numberFlag(values.mixup, 'mixup', usage, { min: 0 })!;
    }
    await selectBackend(values.backend, usage);
    // The HyperRule scales precrop with an overridden crop: 160/128 and 512/480 keep their ratio.
    const resolution = crop
      ? { crop, precrop: Math.round((crop * (crop < 480 ? 160 : 512)) / (crop < 480 ? 128 : 480)) }
      : undefined;
    const maxPixels = maxPixelsFlag(values['max-pixels'], usage);
    const result = await fineTuneRun({
      ...(maxPixels !== undefined
        ? { trainOptions: { maxPixels }, valOptions: { maxPixels } }
        : {}),
      model: values.model!,
      train: values.train!,
      val: values.val,
      out: values.out!,
      resume: values.resume,
      overwrite: values.overwrite,
      batchSize,
      batchSplit,
      baseLr,
      steps,
      resolution,
      examplesPerClass,
      mixup,
      evalEvery,
      checkpointEvery: checkpointEvery ?? (evalEvery || undefined),
      headOnly: values['head-only'],
      crop: !values['no-crop'],
      flip: !values['no-flip'],
      seed,
      callbacks: progressCallbacks(),
    });
    return reportRun(result, values.out!, values.json ?? false, {
      source: getBiTMetadata(result.model)?.source ?? values.model,
    });
  },
};
