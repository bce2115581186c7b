import { HYPERRULE_DEFAULTS, HYPERRULE_SCHEDULES } from './constants';
import { HyperRuleError } from './errors';
import { assertNonNegativeInteger, assertPositiveInteger, assertSchedule } from './validate';

/**
 * HyperRule step boundaries for a training set of `datasetSize` examples (official `get_schedule`):
 *
 * | datasetSize        | boundaries                           |
 * | ------------------ | ------------------------------------ |
 * | n < 20 000         | [100, 200, 300, 400, 500]            |
 * | n < 500 000        | [500, 3000, 6000, 9000, 10000]       |
 * | otherwise          | [500, 6000, 12000, 18000, 20000]     |
 *
 * The first boundary ends the linear warm-up, the middle ones divide the learning rate by 10,
 * the last one is the total number of optimizer steps. Returns a fresh array.
 *
 * @throws HyperRuleError (a RangeError) unless `datasetSize` is a non-negative integer.
 */
export function getSchedule(datasetSize: number): number[] {
  assertNonNegativeInteger('getSchedule', 'datasetSize', datasetSize);
  if (datasetSize < HYPERRULE_DEFAULTS.smallDatasetSize) return [...HYPERRULE_SCHEDULES.small];
  if (datasetSize < HYPERRULE_DEFAULTS.mediumDatasetSize) return [...HYPERRULE_SCHEDULES.medium];
  return [...HYPERRULE_SCHEDULES.large];
}

/**
 * Stretches or shrinks a schedule so that it ends at `steps` (for short CPU runs, or longer ones).
 *
 * Each boundary `b` becomes `round(b * steps / last)` (halves rounded up, computed in exact
 * integer arithmetic), then boundaries are pushed apart so that the result is strictly increasing,
 * every boundary is >= 1 and the last one equals `steps` exactly. `steps` must therefore be at
 * least the number of boundaries. Scaling by `steps === last` returns the schedule unchanged.
 * This is not part of the official code (whose TF2 `train.py` leaves a batch-size based schedule
 * scaling commented out); the HyperRule itself always runs the full schedule.
 *
 * @throws HyperRuleError (a RangeError) for a schedule that is not a non-empty strictly increasing
 *   list of positive integers, or `steps` not an integer >= `schedule.length`.
 */
export function scaleSchedule(schedule: readonly number[], steps: number): number[] {
  assertSchedule('scaleSchedule', 'schedule', schedule);
  assertPositiveInteger('scaleSchedule', 'steps', steps);
  const n = schedule.length;
  if (steps < n) {
    throw new HyperRuleError(
      'scaleSchedule',
      'steps',
      `must be at least the number of boundaries (${n}) to keep them strictly increasing, got ${steps}`,
    );
  }
  const last = schedule[n - 1];
  // round-half-up of b * steps / last without floating point error (operands stay far below 2^53
  // for any realistic schedule; fall back to float rounding if they would not).
  const exact = Number.isSafeInteger(2 * last * steps);
  const scaled = schedule.map((b) =>
    exact ? Math.floor((2 * b * steps + last) / (2 * last)) : Math.round((b * steps) / last),
  );
  scaled[n - 1] = steps;
  // forward: at least 1 and strictly above the previous boundary
  for (let i = 0; i < n; i++) {
    const floor = i === 0 ? 1 : scaled[i - 1] + 1;
    if (scaled[i] < floor) scaled[i] = floor;
  }
  // backward: the last boundary is `steps`, each one strictly below the next
  scaled[n - 1] = steps;
  for (let i = n - 2; i >= 0; i--) {
    if (scaled[i] >= scaled[i + 1]) scaled[i] = scaled[i + 1] - 1;
  }
  return scaled;
}
