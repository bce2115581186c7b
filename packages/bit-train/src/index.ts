/**
 * @bit/train: the BiT fine-tuning engine (isomorphic). `fineTune` runs the BiT-HyperRule loop
 * (SGD + momentum, HyperRule schedule, zero-initialised head, MixUp, batch split, evaluation,
 * checkpoints and exact resume through a RunStore); `evaluate` measures top-1 / top-5 / loss;
 * `hyperRuleCallback` and `mixupTransform` bring the HyperRule to `model.fit` users. Run
 * folders on disk, SIGINT handling and `fineTuneRun` / `openRun` are in `@bit/train/node`.
 */
export {
  TrainError,
  TrainConfigError,
  NonFiniteLossError,
  CheckpointError,
  CheckpointWriteError,
  TrainWorkerError,
} from './errors';
export { fineTune } from './loop/fine-tune';
export type {
  CheckpointReason,
  FineTuneCallbacks,
  FineTuneOptions,
  FineTuneResult,
  FineTuneStatus,
  TrainContext,
} from './loop/options';
export {
  planShards,
  sliceBatch,
  type BatchShard,
  type GradientExecutor,
  type GradientSession,
} from './loop/parallel';
export { makeTarget, type TrainMode, type TrainTarget } from './loop/target';
export {
  accumulateGradients,
  trainStep,
  type AccumulatedGradients,
  type StepBatch,
} from './loop/step';
export {
  checkBiTModel,
  findHead,
  headClasses,
  modelForClasses,
  releaseInferenceCaches,
  tagFineTuned,
  trainableWeights,
  HEAD_LAYER,
  PRELOGITS_LAYER,
} from './loop/model';
export {
  MomentumSgd,
  isKernelName,
  type MomentumSgdOptions,
  type TrainableWeight,
} from './optimizer/momentum-sgd';
export { pretrain, pretrainSteps, type PretrainOptions } from './pretrain/pretrain';
export { upstreamPlan, UPSTREAM_DEFAULTS, type UpstreamPlanOptions } from './pretrain/recipe';
export { heInitialize } from './pretrain/he-init';
export { softCrossEntropy, softCrossEntropyPerExample } from './loss/cross-entropy';
export {
  computeFeatures,
  featureBatches,
  imageBatches,
  type BatchProvider,
  type ComputeFeaturesOptions,
  type FeatureBatchOptions,
  type FeatureSet,
  type ImageBatchOptions,
  type TrainBatch,
} from './data/batches';
export {
  evaluate,
  evalResolution,
  type EvaluateOptions,
  type InferenceExecutor,
} from './eval/evaluate';
export { EvalAccumulator, type EvalResult } from './eval/metrics';
export {
  isAfterCheckpoint,
  isEvalLine,
  type AugmentationSettings,
  type CheckpointState,
  type EvalMetrics,
  type MetricsLine,
  type RunStore,
  type StepMetrics,
  type TrainCheckpoint,
} from './run/types';
export { MemoryRunStore } from './run/memory-store';
export { arraysAsSource, captureCheckpoint, restoreCheckpoint } from './run/checkpoint';
export {
  HyperRuleCallback,
  hyperRuleCallback,
  type HyperRuleCallbackOptions,
} from './fit/hyperrule-callback';
export {
  mixupTransform,
  type MixupTransform,
  type MixupTransformOptions,
  type XyBatch,
} from './fit/mixup-transform';
export { prepareBackendForTraining } from './backend';
