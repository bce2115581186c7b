import { HYPERRULE_DEFAULTS } from './constants';
import { assertNonNegativeInteger } from './validate';

/**
 * HyperRule MixUp alpha for a training set of `datasetSize` examples (official `get_mixup`):
 * `0.1` when `datasetSize >= 20_000`, else `0` (no MixUp). The mixing ratio is drawn from
 * `Beta(alpha, alpha)` once per optimizer step.
 *
 * @throws HyperRuleError (a RangeError) unless `datasetSize` is a non-negative integer.
 */
export function getMixup(datasetSize: number): number {
  assertNonNegativeInteger('getMixup', 'datasetSize', datasetSize);
  return datasetSize < HYPERRULE_DEFAULTS.smallDatasetSize ? 0.0 : HYPERRULE_DEFAULTS.mixupAlpha;
}
