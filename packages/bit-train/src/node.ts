/**
 * @bit/train/node: everything in `@bit/train`, plus run folders on disk (NodeRunStore),
 * `fineTuneRun` (paths in, run folder out, Ctrl-C = checkpoint and stop, exact resume) and
 * `openRun` (load a finished or partial run's model).
 */
export * from './index';
export {
  isRunFolder,
  NodeRunStore,
  parseMetrics,
  runPaths,
  RUN_FILES,
  type RunPaths,
} from './node/run-store';
export {
  fineTuneRun,
  openRunFolder,
  type FineTuneRunOptions,
  type OpenedRunFolder,
  type RunFolderOptions,
} from './node/fine-tune-run';
export { pretrainRun, type PretrainRunOptions } from './node/pretrain-run';
export { openRun, type OpenedRun } from './node/open-run';
export { installSigintHandler, type SigintOptions } from './node/sigint';
export {
  createTrainWorkers,
  defaultWorkerCount,
  type TrainWorkersOptions,
} from './node/train-workers';
export {
  createInferenceWorkers,
  InferenceWorkers,
  type InferenceWorkersOptions,
} from './node/inference-workers';
