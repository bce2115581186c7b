import { checkCropArea, DataArgumentError } from '@bit/data';
import { pretrainRun, TrainError } from '@bit/train/node';
import { maxPixelsFlag, numberFlag, parseCommandArgs, workersFlag } from '../args';
import { selectBackend, trainWorkers } from '../backends';
import { UsageError } from '../errors';
import { RUN_FLAGS } from '../flags';
import { requirePath } from '../paths';
import { checkRunOut, inFlagTerms } from '../run-folder';
import { progressCallbacks, reportRun } from '../train-report';
import type { Command } from './types';

const usage =
  'bit pretrain --train <source> --out DIR [--val <source>] [--classes LIST] [--units 2,2,2,2] [--width 0.5] ' +
  '[--steps N | --epochs E] [--batch 128] [--base-lr 0.03*B/256] [--warmup-steps N] [--weight-decay 1e-4] ' +
  '[--resolution 32] [--eval-every N] [--checkpoint-every N] [--crop-area MIN[,MAX]] [--no-crop] [--no-flip] [--seed S] [--resume] [--overwrite] [--backend B] [--workers N] [--max-pixels N] [--json]';

const flags = {
  train: {
    type: 'string',
    value: 'SOURCE',
    required: true,
    description: 'training data (its train split): an image folder, manifest, IDX or CIFAR folder',
  },
  val: {
    type: 'string',
    value: 'SOURCE',
    description: 'validation data (its val split, else test)',
  },
  classes: {
    type: 'string',
    value: 'LIST',
    description: 'keep only these classes (names or indices, e.g. 0-4)',
    defaultText: 'all',
  },
  units: { type: 'string', value: 'U,U,U,U', default: '2,2,2,2', description: 'units per block' },
  width: {
    type: 'string',
    value: 'W',
    default: '0.5',
    description: 'width multiplier (64 W channels at the root)',
  },
  steps: { type: 'string', value: 'N', description: 'optimizer steps (at least 10; or --epochs)' },
  epochs: { type: 'string', value: 'E', description: 'passes over the data (or --steps)' },
  batch: { type: 'string', value: 'B', defaultText: '128', description: 'examples per step' },
  'base-lr': {
    type: 'string',
    value: 'LR',
    defaultText: '0.03 * B / 256',
    description: 'base learning rate',
  },
  'warmup-steps': {
    type: 'string',
    value: 'N',
    defaultText: '5% of the steps',
    description: 'linear warm-up steps',
  },
  'weight-decay': {
    type: 'string',
    value: 'WD',
    defaultText: '1e-4',
    description: 'L2 weight decay on kernels',
  },
  resolution: {
    type: 'string',
    value: 'CROP',
    default: '32',
    description: 'training crop (precrop 9/8 of it)',
  },
  'crop-area': {
    type: 'string',
    value: 'MIN[,MAX]',
    defaultText: 'off: a fixed-size crop',
    description:
      "Inception-style crop covering MIN to MAX (default 1) of the image's area (BiT: 0.05)",
  },
  'no-crop': { type: 'boolean', default: false, description: 'no random crop' },
  'no-flip': { type: 'boolean', default: false, description: 'no random flip' },
  seed: {
    type: 'string',
    value: 'S',
    default: '0',
    description: 'seed of init, data order, crops',
  },
  ...RUN_FLAGS,
} as const;

function unitsFlag(value: string): number[] {
  const units = value.split(',').map((s) => Number(s.trim()));
  if (units.length !== 4 || units.some((u) => !Number.isInteger(u) || u < 1)) {
    throw new UsageError(
      `--units must be four positive integers like 2,2,2,2, got '${value}'`,
      usage,
    );
  }
  return units;
}

function cropAreaFlag(value: string | undefined): [number, number] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((s) => Number(s.trim()));
  const range: [number, number] = [parts[0], parts[1] ?? 1];
  if (parts.length <= 2) {
    try {
      checkCropArea(range); // @bit/data owns the rule
      return range;
    } catch (err) {
      if (!(err instanceof DataArgumentError)) throw err;
    }
  }
  throw new UsageError(
    `--crop-area must be MIN or MIN,MAX with 0 < MIN <= MAX <= 1, got '${value}'`,
    usage,
  );
}

/** `bit pretrain`: BiT's upstream recipe, scaled down, from scratch (resumable run folder). */
export const pretrainCommand: Command = {
  name: 'pretrain',
  usage,
  summary: 'pre-train a BiT ResNetV2 from scratch with the upstream recipe (resumable run folder)',
  flags,
  notes: ['Ctrl-C writes a checkpoint and exits 130; --resume continues exactly where it stopped.'],
  async run(argv) {
    const { values } = parseCommandArgs(argv, flags, usage, { positionals: false });
    if (values.steps !== undefined && values.epochs !== undefined) {
      throw new UsageError('give --steps or --epochs, not both', usage);
    }
    if (values.steps === undefined && values.epochs === undefined) {
      throw new UsageError('--steps or --epochs is required', usage);
    }
    const int = (flag: keyof typeof values, min: number) =>
      numberFlag(values[flag] as string | undefined, flag, usage, { integer: true, min });
    const num = (flag: keyof typeof values, min: number) =>
      numberFlag(values[flag] as string | undefined, flag, usage, { min });
    const units = unitsFlag(values.units!);
    const cropArea = cropAreaFlag(values['crop-area']);
    if (cropArea && values['no-crop']) {
      throw new UsageError('--crop-area and --no-crop exclude each other', usage);
    }
    const width = num('width', Number.MIN_VALUE)!;
    if (!Number.isInteger(2 * width)) {
      throw new UsageError(
        `--width must be a multiple of 0.5 (e.g. 0.5, 1, 2: GroupNorm's 32 groups must divide ` +
          `the 64 W channels of the first unit), got ${width}`,
        usage,
      );
    }
    const steps = int('steps', 10);
    const epochs = num('epochs', Number.MIN_VALUE);
    const batchSize = int('batch', 1);
    const baseLr = num('base-lr', Number.MIN_VALUE);
    const warmupSteps = int('warmup-steps', 1);
    const weightDecay = num('weight-decay', 0);
    const resolution = int('resolution', 8)!;
    const evalEvery = int('eval-every', 1);
    if (evalEvery !== undefined && values.val === undefined) {
      throw new UsageError('--eval-every needs --val (the data to evaluate)', usage);
    }
    const checkpointEvery = int('checkpoint-every', 1);
    const seed = int('seed', 0)!;
    const workers = workersFlag(values.workers, usage);
    await requirePath(values.train!, 'train', usage);
    if (values.val !== undefined) await requirePath(values.val, 'val', usage);
    await checkRunOut(values.out!, values.resume ?? false, values.overwrite ?? false, usage);
    const backend = await selectBackend(values.backend, usage);
    const classes = values.classes;
    const maxPixels = maxPixelsFlag(values['max-pixels'], usage);
    const pixels = maxPixels !== undefined ? { maxPixels } : {};
    const result = await pretrainRun({
      architecture: { units, width },
      train: values.train!,
      val: values.val,
      trainOptions: { split: 'train', ...(classes ? { classes } : {}), ...pixels },
      valOptions: { split: 'test', ...(classes ? { classes } : {}), ...pixels },
      out: values.out!,
      resume: values.resume,
      overwrite: values.overwrite,
      steps,
      epochs,
      batchSize,
      baseLr,
      warmupSteps,
      weightDecay,
      resolution,
      evalEvery,
      checkpointEvery: checkpointEvery ?? (evalEvery || undefined),
      crop: !values['no-crop'],
      ...(cropArea ? { cropArea } : {}),
      flip: !values['no-flip'],
      seed,
      workers: trainWorkers(workers, backend),
      callbacks: progressCallbacks(),
    }).catch((err: unknown) => {
      if (err instanceof TrainError && err.inputError) {
        throw new UsageError(inFlagTerms(err.message), usage);
      }
      throw err;
    });
    return reportRun(result, values.out!, values.json ?? false, {
      architecture: { units, width },
      weightDecay: result.plan.weightDecay,
      schedule: result.plan.schedule,
      baseLr: result.plan.baseLr,
    });
  },
};
