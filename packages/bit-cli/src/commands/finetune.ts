import { loadImage, type DataSource } from '@bit/data';
import { openSource } from '@bit/data/node';
import { hyperRule, resolutionForCrop } from '@bit/hyperrule';
import { getBiTMetadata } from '@bit/models/node';
import { fineTuneRun, TrainError } from '@bit/train/node';
import { maxPixelsFlag, numberFlag, parseCommandArgs, workersFlag } from '../args';
import { selectBackend, trainWorkers } from '../backends';
import { UsageError } from '../errors';
import { RUN_FLAGS } from '../flags';
import { chooseBatchSplit, DEFAULT_MEMORY_SHARE, memoryBudget } from '../memory';
import { loadModelFlag } from '../model-flags';
import { log } from '../output';
import { requirePath } from '../paths';
import { checkRunOut, inFlagTerms } from '../run-folder';
import { progressCallbacks, reportRun } from '../train-report';
import type { Command } from './types';

const usage =
  'bit finetune --model <name|file|dir> --train <source> [--val <source>] --out DIR [--batch 512] [--batch-split N | --memory MB] ' +
  '[--base-lr 0.003] [--steps N] [--resolution CROP] [--examples-per-class K] [--mixup auto|A] [--eval-every N] ' +
  '[--checkpoint-every N] [--head-only] [--no-crop] [--no-flip] [--seed S] [--resume | --overwrite] [--backend B] [--workers N] [--max-pixels N] [--json]';

const flags = {
  model: {
    type: 'string',
    value: 'MODEL',
    required: true,
    description: 'the model to start from: a zoo name, an .npz or TF.js checkpoint, a run folder',
  },
  train: {
    type: 'string',
    value: 'SOURCE',
    required: true,
    description: 'training data: an image folder, a CSV/JSONL manifest, an IDX or CIFAR folder',
  },
  val: {
    type: 'string',
    value: 'SOURCE',
    description:
      'validation data (its val split, else test), evaluated every --eval-every steps and at the end',
  },
  batch: { type: 'string', value: 'N', default: '512', description: 'examples per optimizer step' },
  'batch-split': {
    type: 'string',
    value: 'N',
    description: 'run each batch as N micro-batches (same update, less memory)',
    defaultText: 'the fewest that fit --memory',
  },
  memory: {
    type: 'string',
    value: 'MB',
    description: 'memory budget of a training step; picks the batch split',
    defaultText: `${DEFAULT_MEMORY_SHARE * 100}% of available memory, at most 3 GiB on wasm`,
  },
  'base-lr': { type: 'string', value: 'LR', default: '0.003', description: 'base learning rate' },
  steps: {
    type: 'string',
    value: 'N',
    description: 'scale the HyperRule schedule to N steps (at least 5)',
    defaultText: "the HyperRule's: 500, 10000 or 20000 by dataset size",
  },
  resolution: {
    type: 'string',
    value: 'CROP',
    description: "training crop; the precrop keeps the HyperRule's ratio (160/128, 512/480)",
    defaultText: "the HyperRule's: 128 below 96x96 images, else 480",
  },
  'examples-per-class': {
    type: 'string',
    value: 'K',
    description: 'few-shot: keep K training examples per class (chosen with --seed)',
  },
  mixup: {
    type: 'string',
    value: 'auto|A',
    default: 'auto',
    description: 'MixUp alpha; auto is 0.1 from 20k examples, else off',
  },
  'head-only': { type: 'boolean', default: false, description: 'train the new head only' },
  'no-crop': { type: 'boolean', default: false, description: 'no random crop (counting tasks)' },
  'no-flip': { type: 'boolean', default: false, description: 'no random flip (orientation tasks)' },
  seed: {
    type: 'string',
    value: 'S',
    default: '0',
    description: 'seed of data order, crops, MixUp',
  },
  ...RUN_FLAGS,
} as const;

/** The training crop: `--resolution`, else the HyperRule's for the data's image size. */
async function trainingCrop(train: DataSource, crop: number | undefined): Promise<number> {
  if (crop !== undefined) return crop;
  let { height, width } = train.metadata;
  if (!height || !width) {
    const first = await loadImage(train.example(0).image);
    [height, width] = [first.height, first.width];
  }
  return hyperRule({ datasetSize: train.size, imageSize: [height, width] }).crop;
}

/** `bit finetune`: the BiT-HyperRule fine-tuning loop in a run folder. */
export const finetuneCommand: Command = {
  name: 'finetune',
  usage,
  summary: 'fine-tune a BiT model on a dataset with the BiT-HyperRule (resumable run folder)',
  flags,
  notes: [
    'Ctrl-C writes a checkpoint and exits 130; --resume continues exactly where it stopped.',
    'Without --batch-split, the batch is split to fit --memory, and the choice is logged.',
  ],
  async run(argv) {
    const { values } = parseCommandArgs(argv, flags, usage, { positionals: false });
    const int = (flag: keyof typeof values, min: number) =>
      numberFlag(values[flag] as string | undefined, flag, usage, { integer: true, min });
    const batchSize = int('batch', 1)!;
    const batchSplit = int('batch-split', 1);
    const memoryMb = numberFlag(values.memory, 'memory', usage, { min: 1 });
    if (batchSplit !== undefined && memoryMb !== undefined) {
      throw new UsageError('give --batch-split or --memory, not both', usage);
    }
    if (batchSplit !== undefined && batchSplit > batchSize) {
      throw new UsageError(
        `--batch-split (${batchSplit}) must not exceed --batch (${batchSize})`,
        usage,
      );
    }
    const steps = int('steps', 5);
    const crop = int('resolution', 8);
    const examplesPerClass = int('examples-per-class', 1);
    const evalEvery = int('eval-every', 1);
    if (evalEvery !== undefined && values.val === undefined) {
      throw new UsageError('--eval-every needs --val (the data to evaluate)', usage);
    }
    const checkpointEvery = int('checkpoint-every', 1);
    const seed = int('seed', 0)!;
    const workers = workersFlag(values.workers, usage);
    const baseLr = numberFlag(values['base-lr'], 'base-lr', usage, { min: Number.MIN_VALUE });
    const mixup: 'auto' | number =
      values.mixup === 'auto' ? 'auto' : numberFlag(values.mixup, 'mixup', usage, { min: 0 })!;
    const out = values.out!;
    await requirePath(values.train!, 'train', usage);
    if (values.val !== undefined) await requirePath(values.val, 'val', usage);
    await checkRunOut(out, values.resume ?? false, values.overwrite ?? false, usage);
    const backend = await selectBackend(values.backend, usage);

    try {
      const model = await loadModelFlag(values.model!, usage);
      const maxPixels = maxPixelsFlag(values['max-pixels'], usage);
      const train = await openSource(values.train, {
        ...(maxPixels !== undefined ? { maxPixels } : {}),
        ...(examplesPerClass !== undefined ? { examplesPerClass, seed } : {}),
      });
      const meta = getBiTMetadata(model);
      const trainCrop = await trainingCrop(train, crop);
      let split: number | undefined = batchSplit;
      let splitInfo: { microBatch: number; estimatedMiB: number } | undefined;
      if (meta) {
        const chosen = chooseBatchSplit(
          batchSize,
          batchSplit,
          memoryBudget(memoryMb, backend),
          { ...meta.architecture, parameters: model.countParams() },
          trainCrop,
        );
        log(chosen.message);
        split = chosen.numMicroBatches;
        splitInfo = {
          microBatch: chosen.microBatch,
          estimatedMiB: Math.round(chosen.estimatedBytes / 2 ** 20),
        };
      }
      const result = await fineTuneRun({
        model,
        train,
        val: values.val,
        ...(maxPixels !== undefined ? { valOptions: { maxPixels } } : {}),
        out,
        resume: values.resume,
        overwrite: values.overwrite,
        batchSize,
        batchSplit: split ?? 1,
        baseLr,
        steps,
        resolution: crop ? resolutionForCrop(crop) : undefined,
        mixup,
        evalEvery,
        checkpointEvery: checkpointEvery ?? (evalEvery || undefined),
        headOnly: values['head-only'],
        crop: !values['no-crop'],
        flip: !values['no-flip'],
        seed,
        workers: trainWorkers(workers, backend),
        callbacks: progressCallbacks(),
      });
      return reportRun(result, out, values.json ?? false, {
        batchSplit: split ?? 1,
        ...(splitInfo ?? {}),
        source: getBiTMetadata(result.model)?.source ?? values.model,
      });
    } catch (err) {
      if (err instanceof TrainError && err.inputError) {
        throw new UsageError(inFlagTerms(err.message), usage);
      }
      throw err;
    }
  },
};
