/**
 * `@bit/hyperrule`: the BiT-HyperRule of Big Transfer (Kolesnikov et al., 2020) as small pure
 * functions, with the exact semantics of the official `bit_hyperrule.py`, plus plan helpers
 * (rescaled schedules for short runs, batch split planning). No dependencies.
 */
export {
  HYPERRULE_DEFAULTS,
  HYPERRULE_RESOLUTIONS,
  HYPERRULE_SCHEDULES,
  KNOWN_DATASET_IMAGE_SIZES,
} from './constants';
export { HyperRuleError } from './errors';
export { getResolution, getResolutionFromDataset, resolutionForCrop } from './resolution';
export type { Resolution } from './resolution';
export { getSchedule, scaleSchedule } from './schedule';
export { getLr, lrFromSchedule } from './lr';
export { getMixup } from './mixup';
export { hyperRule, lrForPlan } from './plan';
export type { HyperRuleOptions, HyperRulePlan } from './plan';
export { planBatchSplit, planBatchSplitByCount } from './batch-split';
export type { BatchSplitPlan } from './batch-split';
export {
  estimateTrainingMemory,
  featureMapElements,
  planBatchSplitForMemory,
  TRAINING_BYTES_PER_ELEMENT,
  TRAINING_BYTES_PER_PARAMETER,
} from './memory';
export type { MemoryArchitecture, MemoryBatchSplitPlan, TrainingMemoryEstimate } from './memory';
