/**
 * The BiT upstream recipe, scaled down: SGD with momentum 0.9, linear warm-up, the learning rate
 * divided by 10 at 30, 60 and 80 of 90 epochs (the paper's ILSVRC-2012 schedule, as fractions of
 * the run), weight decay 1e-4 on the kernels, base lr 0.03 per 256 examples. Expressed as a
 * {@link HyperRulePlan} so that the one training loop (and its resume checks) serves both.
 */
import type { HyperRulePlan } from '@bit/hyperrule';
import { TrainConfigError } from '../errors';

/** The fewest steps the upstream schedule (warm-up, three decays) is planned for. */
export const MIN_STEPS = 10;
/** The upstream recipe's constants (big_transfer's upstream training, scaled to any length). */
export const UPSTREAM_DEFAULTS = {
  /** Learning rate per 256 examples (BiT: 0.03 * batch / 256). */
  lrPer256: 0.03,
  momentum: 0.9,
  /** L2 weight decay on kernels. */
  weightDecay: 1e-4,
  /** Decay points as fractions of the run (30, 60, 80 of 90 epochs). */
  decayFractions: [30 / 90, 60 / 90, 80 / 90] as readonly number[],
  /** Warm-up as a fraction of the run (BiT: 5000 of ~450k steps is 1%; short runs need more). */
  warmupFraction: 0.05,
  batchSize: 128,
} as const;

/** Options of {@link upstreamPlan}. */
export interface UpstreamPlanOptions {
  /** Total optimizer steps (an integer, at least 10). */
  steps: number;
  /** Examples per step (default 128). */
  batchSize?: number;
  /** Base learning rate (default 0.03 * batchSize / 256). */
  baseLr?: number;
  /** Linear warm-up steps (default 5% of `steps`, at least 1). */
  warmupSteps?: number;
  /** L2 weight decay on kernels (default 1e-4). */
  weightDecay?: number;
  /** Resize side before the random crop and the crop side. */
  resolution: { precrop: number; crop: number };
  /** Training examples and their original image size (recorded in the plan). */
  datasetSize: number;
  imageSize: readonly [number, number];
}

/**
 * The upstream plan: schedule `[warmup, 30/90, 60/90, 80/90, end]` in steps, read by the same
 * staircase as the HyperRule (`lrForPlan`), with `weightDecay` set.
 *
 * @throws TrainConfigError naming the bad option.
 */
export function upstreamPlan(options: UpstreamPlanOptions): HyperRulePlan {
  const { steps, datasetSize, imageSize, resolution } = options;
  const batchSize = options.batchSize ?? UPSTREAM_DEFAULTS.batchSize;
  const need = (name: string, ok: boolean, value: unknown) => {
    if (!ok) throw new TrainConfigError(`pretrain: ${name} is invalid: ${JSON.stringify(value)}`);
  };
  need(`steps (an integer >= ${MIN_STEPS})`, Number.isInteger(steps) && steps >= MIN_STEPS, steps);
  need('batchSize (an integer >= 1)', Number.isInteger(batchSize) && batchSize >= 1, batchSize);
  const baseLr = options.baseLr ?? (UPSTREAM_DEFAULTS.lrPer256 * batchSize) / 256;
  need('baseLr (a number > 0)', Number.isFinite(baseLr) && baseLr > 0, baseLr);
  const weightDecay = options.weightDecay ?? UPSTREAM_DEFAULTS.weightDecay;
  need(
    'weightDecay (a number >= 0)',
    Number.isFinite(weightDecay) && weightDecay >= 0,
    weightDecay,
  );
  const decays = UPSTREAM_DEFAULTS.decayFractions.map((f) => Math.round(f * steps));
  const warmup =
    options.warmupSteps ?? Math.max(1, Math.round(UPSTREAM_DEFAULTS.warmupFraction * steps));
  need(
    `warmupSteps (an integer in [1, ${decays[0] - 1}])`,
    Number.isInteger(warmup) && warmup >= 1 && warmup < decays[0],
    warmup,
  );
  const schedule = [warmup, ...decays, steps];
  return {
    precrop: resolution.precrop,
    crop: resolution.crop,
    mixupAlpha: 0,
    schedule,
    officialSchedule: [...schedule],
    baseLr,
    batchSize,
    momentum: UPSTREAM_DEFAULTS.momentum,
    weightDecay,
    totalSteps: steps,
    datasetSize,
    imageSize: [imageSize[0], imageSize[1]],
    scaled: false,
  };
}
