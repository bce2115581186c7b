import { HYPERRULE_DEFAULTS } from './constants';
import { HyperRuleError } from './errors';
import { staircaseLr } from './lr';
import { getMixup } from './mixup';
import { getResolution } from './resolution';
import { getSchedule, scaleSchedule } from './schedule';
import {
  assertImageSize,
  assertNonNegativeInteger,
  assertPositiveFinite,
  assertPositiveInteger,
  assertSchedule,
  describeValue,
} from './validate';

/** Inputs of {@link hyperRule}. */
export interface HyperRuleOptions {
  /** Number of training examples (after few-shot sampling, if any). */
  datasetSize: number;
  /** Original image size `[height, width]` of the dataset. */
  imageSize: readonly [number, number];
  /** Examples per optimizer step (default 512). */
  batchSize?: number;
  /** Base learning rate (default 0.003; not scaled with `batchSize`, as in the official code). */
  baseLr?: number;
  /**
   * Total optimizer steps, when the run must be shorter (or longer) than the HyperRule's:
   * the schedule is rescaled with {@link scaleSchedule}. Omit for the official schedule.
   */
  steps?: number;
}

/** Everything a trainer needs to fine-tune with the BiT-HyperRule. */
export interface HyperRulePlan {
  /** Resize side before the random crop. */
  precrop: number;
  /** Random-crop side for training; resize side for evaluation. */
  crop: number;
  /** MixUp alpha (0 = no MixUp). */
  mixupAlpha: number;
  /** Step boundaries used by {@link lrForPlan}: warm-up end, decays, end (= `totalSteps`). */
  schedule: number[];
  /** The official schedule for `datasetSize`, before any rescaling to `steps`. */
  officialSchedule: number[];
  /** Base learning rate. */
  baseLr: number;
  /** Examples per optimizer step. */
  batchSize: number;
  /** SGD momentum (0.9). */
  momentum: number;
  /** Weight decay (0). */
  weightDecay: number;
  /** Number of optimizer steps: the last schedule boundary. */
  totalSteps: number;
  /** Number of training examples the plan was made for. */
  datasetSize: number;
  /** Original image size `[height, width]`. */
  imageSize: [number, number];
  /** True when `schedule` was rescaled and differs from `officialSchedule`. */
  scaled: boolean;
}

/**
 * The complete BiT-HyperRule plan for a dataset: resolution, MixUp alpha, schedule, optimizer
 * settings. With `steps`, the schedule is rescaled to end at `steps` (see {@link scaleSchedule});
 * `scaled` then says whether it differs from the official one.
 *
 * @example
 * const plan = hyperRule({ datasetSize: 50_000, imageSize: [32, 32] });
 * // { precrop: 160, crop: 128, mixupAlpha: 0.1, schedule: [500, 3000, 6000, 9000, 10000], ... }
 * for (let step = 0; ; step++) { const lr = lrForPlan(plan, step); if (lr === null) break; ... }
 *
 * @throws HyperRuleError (a RangeError) naming the bad option.
 */
export function hyperRule(options: HyperRuleOptions): HyperRulePlan {
  if (options === null || typeof options !== 'object') {
    throw new HyperRuleError(
      'hyperRule',
      'options',
      `must be an object, got ${describeValue(options)}`,
    );
  }
  const {
    datasetSize,
    imageSize,
    batchSize = HYPERRULE_DEFAULTS.batchSize,
    baseLr = HYPERRULE_DEFAULTS.baseLr,
    steps,
  } = options;
  assertNonNegativeInteger('hyperRule', 'datasetSize', datasetSize);
  const [h, w] = assertImageSize('hyperRule', 'imageSize', imageSize);
  assertPositiveInteger('hyperRule', 'batchSize', batchSize);
  assertPositiveFinite('hyperRule', 'baseLr', baseLr);
  if (steps !== undefined) assertPositiveInteger('hyperRule', 'steps', steps);

  const { precrop, crop } = getResolution([h, w]);
  const officialSchedule = getSchedule(datasetSize);
  let schedule = [...officialSchedule];
  if (steps !== undefined) {
    if (steps < officialSchedule.length) {
      throw new HyperRuleError(
        'hyperRule',
        'steps',
        `must be at least ${officialSchedule.length} (one step per schedule boundary), got ${steps}`,
      );
    }
    schedule = scaleSchedule(officialSchedule, steps);
  }
  const scaled = schedule.some((b, i) => b !== officialSchedule[i]);
  return {
    precrop,
    crop,
    mixupAlpha: getMixup(datasetSize),
    schedule,
    officialSchedule,
    baseLr,
    batchSize,
    momentum: HYPERRULE_DEFAULTS.momentum,
    weightDecay: HYPERRULE_DEFAULTS.weightDecay,
    totalSteps: schedule[schedule.length - 1],
    datasetSize,
    imageSize: [h, w],
    scaled,
  };
}

/**
 * Learning rate at optimizer step `step` (0-based) of a plan, with the official `get_lr` semantics
 * applied to `plan.schedule` (which may be rescaled): linear warm-up from 0, divided by 10 after
 * each middle boundary, `null` from `plan.totalSteps` on (stop training).
 *
 * @throws HyperRuleError (a RangeError) for a negative or non-integer `step`, or a plan whose
 *   `schedule` or `baseLr` is invalid.
 */
export function lrForPlan(
  plan: Pick<HyperRulePlan, 'schedule' | 'baseLr'>,
  step: number,
): number | null {
  assertNonNegativeInteger('lrForPlan', 'step', step);
  if (plan === null || typeof plan !== 'object') {
    throw new HyperRuleError('lrForPlan', 'plan', `must be an object, got ${describeValue(plan)}`);
  }
  assertSchedule('lrForPlan', 'plan.schedule', plan.schedule);
  assertPositiveFinite('lrForPlan', 'plan.baseLr', plan.baseLr);
  return staircaseLr(step, plan.schedule, plan.baseLr);
}
