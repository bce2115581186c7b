import { HYPERRULE_DEFAULTS } from './constants';
import { getSchedule } from './schedule';
import { assertNonNegativeInteger, assertPositiveFinite, assertSchedule } from './validate';

/**
 * Learning rate at optimizer step `step` (0-based) for an arbitrary schedule, with the exact
 * semantics of the official `get_lr`:
 * - `step < schedule[0]`: linear warm-up `baseLr * step / schedule[0]` (0 at step 0);
 * - `step >= schedule[last]`: `null`, training is over;
 * - otherwise `baseLr` divided by 10 once for every boundary `b` in `schedule[1..]` with `b < step`
 *   (so the decay applies from the step after a boundary: the rate at step `b` itself is
 *   still the higher one).
 *
 * @throws HyperRuleError (a RangeError) for a negative or non-integer `step`, a bad schedule,
 *   or `baseLr` not a finite number > 0.
 */
export function lrFromSchedule(
  step: number,
  schedule: readonly number[],
  baseLr: number = HYPERRULE_DEFAULTS.baseLr,
): number | null {
  assertNonNegativeInteger('lrFromSchedule', 'step', step);
  assertSchedule('lrFromSchedule', 'schedule', schedule);
  assertPositiveFinite('lrFromSchedule', 'baseLr', baseLr);
  return staircaseLr(step, schedule, baseLr);
}

/**
 * HyperRule learning rate at optimizer step `step` (0-based) for a training set of `datasetSize`
 * examples (official `get_lr(step, dataset_size, base_lr)`): the schedule of
 * {@link getSchedule} read by {@link lrFromSchedule}. Returns `null` once training is over.
 *
 * Batch size: the official code does not scale the learning rate (nor the schedule) with the
 * batch size: `base_lr` 0.003 is meant for batch 512, and the official README lowers it by hand
 * when the batch is smaller (e.g. 0.001 for batch 128). Pass your own `baseLr` to do the same.
 *
 * @throws HyperRuleError (a RangeError) for a negative or non-integer `step` or `datasetSize`,
 *   or `baseLr` not a finite number > 0.
 */
export function getLr(
  step: number,
  datasetSize: number,
  baseLr: number = HYPERRULE_DEFAULTS.baseLr,
): number | null {
  assertNonNegativeInteger('getLr', 'step', step);
  assertNonNegativeInteger('getLr', 'datasetSize', datasetSize);
  assertPositiveFinite('getLr', 'baseLr', baseLr);
  return staircaseLr(step, getSchedule(datasetSize), baseLr);
}

/** Warm-up / staircase / stop, arguments already validated. Same operation order as Python. */
export function staircaseLr(
  step: number,
  schedule: readonly number[],
  baseLr: number,
): number | null {
  if (step < schedule[0]) return (baseLr * step) / schedule[0];
  if (step >= schedule[schedule.length - 1]) return null;
  let lr = baseLr;
  for (let i = 1; i < schedule.length; i++) {
    if (schedule[i] < step) lr /= 10;
  }
  return lr;
}
