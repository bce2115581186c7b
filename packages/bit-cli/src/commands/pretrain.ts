import { pretrainRun } from '@bit/train/node';
import { maxPixelsFlag, numberFlag, parseCommandArgs } from '../args.js';
import { selectBackend } from '../backends.js';
import { UsageError } from '../errors.js';
import { progressCallbacks, reportRun } from '../train-report.js';
import type { Command } from './types.js';

const usage =
  'bit pretrain --train <source> --out DIR [--val <source>] [--classes LIST] [--units 2,2,2,2] [--width 0.5] ' +
  '[--steps N | --epochs E] [--batch 128] [--base-lr 0.03*B/256] [--warmup-steps N] [--weight-decay 1e-4] ' +
  '[--resolution 32] [--eval-every N] [--checkpoint-every N] [--no-crop] [--no-flip] [--seed S] [--resume] [--overwrite] [--backend B] [--max-pixels N] [--json]';

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

/** `bit pretrain`: BiT's upstream recipe, scaled down, from scratch (resumable run folder). */
export const pretrainCommand: Command = {
  name: 'pretrain',
  usage,
  summary: 'pre-train a BiT ResNetV2 from scratch with the upstream recipe (resumable run folder)',
  async run(argv) {
    const { values } = parseCommandArgs(
      argv,
      {
        train: { type: 'string' },
        val: { type: 'string' },
        out: { type: 'string' },
        classes: { type: 'string' },
        units: { type: 'string', default: '2,2,2,2' },
        width: { type: 'string', default: '0.5' },
        steps: { type: 'string' },
        epochs: { type: 'string' },
        batch: { type: 'string' },
        'base-lr': { type: 'string' },
        'warmup-steps': { type: 'string' },
        'weight-decay': { type: 'string' },
        resolution: { type: 'string', default: '32' },
        'eval-every': { type: 'string' },
        'checkpoint-every': { type: 'string' },
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
    for (const flag of ['train', 'out'] as const) {
      if (!values[flag]) throw new UsageError(`--${flag} is required`, usage);
    }
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
    const width = num('width', Number.MIN_VALUE)!;
    if (!Number.isInteger(64 * width)) {
      throw new UsageError(
        `--width times 64 must be an integer (e.g. 0.5, 1, 2), got ${width}`,
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
    const checkpointEvery = int('checkpoint-every', 1);
    const seed = int('seed', 0) ?? 0;
    await selectBackend(values.backend, usage);
    const classes = values.classes;
    const limit = maxPixelsFlag(values['max-pixels'], usage);
    const maxPixels = limit === undefined ? {} : { maxPixels: limit };
    const result = await pretrainRun({
      architecture: { units, width },
      train: values.train!,
      val: values.val,
      trainOptions: { split: 'train', ...(classes ? { classes } : {}), ...maxPixels },
      valOptions: { split: 'test', ...(classes ? { classes } : {}), ...maxPixels },
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
      flip: !values['no-flip'],
      seed,
      callbacks: progressCallbacks(),
    });
    return reportRun(result, values.out!, values.json ?? false, {
      architecture: { units, width },
      weightDecay: result.plan.weightDecay,
      schedule: result.plan.schedule,
      baseLr: result.plan.baseLr,
    });
  },
};
