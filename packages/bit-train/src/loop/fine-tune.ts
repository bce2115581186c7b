/**
 * fineTune: the BiT-HyperRule training loop. SGD with momentum 0.9 and no weight decay, the
 * learning rate of the (possibly rescaled) HyperRule schedule at every step, a zero-initialised
 * head, MixUp, batch split, periodic evaluation, checkpoints and exact resume through a RunStore.
 * Isomorphic: no file system here (see `@bit/train/node` for run folders and SIGINT).
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  checkResolution,
  DataArgumentError,
  loadImage,
  type DataSource,
  type PipelineState,
  type Resolution,
} from '@bit/data';
import {
  hyperRule,
  lrForPlan,
  planBatchSplit,
  planBatchSplitByCount,
  type BatchSplitPlan,
  type HyperRulePlan,
} from '@bit/hyperrule';
import { prepareBackendForTraining } from '../backend';
import { TrainConfigError, CheckpointError } from '../errors';
import { computeFeatures, featureBatches, imageBatches, type BatchProvider } from '../data/batches';
import { evaluate } from '../eval/evaluate';
import type { EvalResult } from '../eval/metrics';
import { MomentumSgd } from '../optimizer/momentum-sgd';
import { captureCheckpoint, restoreCheckpoint } from '../run/checkpoint';
import type {
  AugmentationSettings,
  CheckpointState,
  EvalMetrics,
  StepMetrics,
  TrainCheckpoint,
} from '../run/types';
import { checkBiTModel, modelForClasses, releaseInferenceCaches, tagFineTuned } from './model';
import type {
  CheckpointReason,
  FineTuneOptions,
  FineTuneResult,
  FineTuneStatus,
  TrainContext,
} from './options';
import type { GradientSession } from './parallel';
import { trainStep } from './step';
import { makeTarget, type TrainMode } from './target';

function checkCount(name: string, value: number | undefined, min = 1): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min) {
    throw new TrainConfigError(`fineTune: ${name} must be an integer >= ${min}, got ${value}`);
  }
}

function checkSource(name: string, source: DataSource | undefined): void {
  if (source === undefined && name === 'val') return;
  if (
    !source ||
    typeof source.example !== 'function' ||
    typeof source.label !== 'function' ||
    !source.metadata
  ) {
    throw new TrainConfigError(
      `fineTune: ${name} must be a DataSource from @bit/data (openSource, fromArrays, ...)`,
    );
  }
  if (source.size <= 0) throw new TrainConfigError(`fineTune: ${name} has no examples`);
}

/**
 * @bit/data's resolution check, run before anything is built (the pipeline runs it again later,
 * after the model has been tagged), as a TrainConfigError like fineTune's other option errors.
 */
function checkResolutionOption(resolution: Resolution): void {
  try {
    checkResolution(resolution);
  } catch (error) {
    if (error instanceof DataArgumentError) {
      throw new TrainConfigError(`fineTune: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

async function imageSizeOf(
  source: DataSource,
  given: readonly [number, number] | undefined,
): Promise<[number, number]> {
  if (given) return [given[0], given[1]];
  const { height, width } = source.metadata;
  if (height && width) return [height, width];
  const first = await loadImage(source.example(0).image);
  return [first.height, first.width];
}

/** Everything fixed for a run once the options are resolved. */
interface RunSetup {
  plan: HyperRulePlan;
  resolution: Resolution;
  augmentation: AugmentationSettings;
  mixupAlpha: number;
  split: BatchSplitPlan;
  mode: TrainMode;
  seed: number;
  classes: string[];
}

async function resolveSetup(o: FineTuneOptions): Promise<RunSetup> {
  checkSource('train', o.train);
  checkSource('val', o.val);
  for (const key of ['batchSize', 'steps', 'batchSplit', 'microBatch'] as const)
    checkCount(key, o[key]);
  for (const key of ['evalEvery', 'checkpointEvery', 'evalBatchSize', 'prefetch'] as const) {
    checkCount(key, o[key], key === 'evalBatchSize' ? 1 : 0);
  }
  if (o.seed !== undefined && !Number.isFinite(o.seed)) {
    throw new TrainConfigError(`fineTune: seed must be a finite number, got ${o.seed}`);
  }
  if (o.batchSplit !== undefined && o.microBatch !== undefined) {
    throw new TrainConfigError('fineTune: give batchSplit or microBatch, not both');
  }
  if (o.precomputeFeatures && !o.headOnly) {
    throw new TrainConfigError('fineTune: precomputeFeatures needs headOnly: true');
  }
  const classes = [...o.train.metadata.classes];
  if (classes.length < 2) {
    throw new TrainConfigError(`fineTune: train needs at least 2 classes, has ${classes.length}`);
  }
  if (o.val && o.val.metadata.classes.length !== classes.length) {
    throw new TrainConfigError(
      `fineTune: val has ${o.val.metadata.classes.length} classes, train ${classes.length}`,
    );
  }
  const plan =
    o.plan ??
    hyperRule({
      datasetSize: o.train.size,
      imageSize: await imageSizeOf(o.train, o.imageSize),
      batchSize: o.batchSize,
      baseLr: o.baseLr,
      steps: o.steps,
    });
  const resolution = o.resolution ?? { precrop: plan.precrop, crop: plan.crop };
  checkResolutionOption(resolution);
  const mixup = o.mixup ?? 'auto';
  const mixupAlpha = mixup === 'auto' ? plan.mixupAlpha : mixup;
  if (!(mixupAlpha >= 0) || !Number.isFinite(mixupAlpha)) {
    throw new TrainConfigError(`fineTune: mixup must be 'auto' or a number >= 0, got ${mixup}`);
  }
  const split =
    o.microBatch !== undefined
      ? planBatchSplit(plan.batchSize, o.microBatch)
      : planBatchSplitByCount(plan.batchSize, o.batchSplit ?? 1);
  const mode: TrainMode = o.headOnly ? (o.precomputeFeatures ? 'features' : 'head') : 'full';
  const augmentation: AugmentationSettings = {
    crop: o.crop ?? true,
    flip: o.flip ?? true,
    ...(o.cropArea ? { cropArea: [o.cropArea[0], o.cropArea[1]] as [number, number] } : {}),
    ...(o.augmentations?.length ? { extra: o.augmentations.map((a) => ({ ...a })) } : {}),
  };
  return { plan, resolution, augmentation, mixupAlpha, split, mode, seed: o.seed ?? 0, classes };
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Throws CheckpointError when a checkpoint was made by a run with other settings. */
function checkResumable(state: CheckpointState, setup: RunSetup): void {
  const problems: string[] = [];
  const cmp = (what: string, saved: unknown, now: unknown) => {
    if (JSON.stringify(saved) !== JSON.stringify(now)) {
      problems.push(
        `${what} ${JSON.stringify(saved)} in the checkpoint, ${JSON.stringify(now)} now`,
      );
    }
  };
  if (state?.version !== 1) {
    throw new CheckpointError(`checkpoint state has unknown version ${String(state?.version)}`);
  }
  if (!sameNumbers(state.plan.schedule, setup.plan.schedule)) {
    cmp('schedule', state.plan.schedule, setup.plan.schedule);
  }
  cmp('batchSize', state.plan.batchSize, setup.plan.batchSize);
  cmp('baseLr', state.plan.baseLr, setup.plan.baseLr);
  cmp('weightDecay', state.plan.weightDecay ?? 0, setup.plan.weightDecay);
  cmp('mode', state.mode, setup.mode);
  cmp('seed', state.seed, setup.seed);
  cmp('mixupAlpha', state.mixupAlpha, setup.mixupAlpha);
  cmp('resolution', state.resolution, setup.resolution);
  // Checkpoints from before augmentation was recorded carry none: nothing to compare.
  if (state.augmentation) cmp('augmentation', state.augmentation, setup.augmentation);
  cmp('classes', state.classes, setup.classes);
  if (problems.length) {
    throw new CheckpointError(
      `cannot resume: the checkpoint was written with other settings (${problems.join('; ')})`,
    );
  }
}

/**
 * Fine-tunes a BiT model with the BiT-HyperRule (see FineTuneOptions). Returns when the
 * schedule ends, when `signal` aborts (after writing a checkpoint to `store`), or when finite
 * training data runs out. Throws NonFiniteLossError (naming the step) when the loss becomes
 * NaN/Inf, before that step's update.
 */
export async function fineTune(options: FineTuneOptions): Promise<FineTuneResult> {
  if (!options || typeof options !== 'object') {
    throw new TrainConfigError('fineTune: options must be an object { model, train, ... }');
  }
  if (options.plan && options.plan.weightDecay !== 0) {
    throw new TrainConfigError(
      `fineTune: plan.weightDecay must be 0 (BiT fine-tunes without weight decay; it belongs to upstream pre-training, see pretrain), got ${options.plan.weightDecay}`,
    );
  }
  return runTraining(options);
}

/**
 * The training loop shared by {@link fineTune} and `pretrain`: the plan's learning-rate
 * schedule and weight decay (0 for fine-tuning), batch split, MixUp, evaluation, checkpoints and
 * exact resume. Internal: callers validate what is specific to them first.
 */
export async function runTraining(options: FineTuneOptions): Promise<FineTuneResult> {
  checkBiTModel(options.model, 'fineTune: model');
  prepareBackendForTraining();
  const setup = await resolveSetup(options);
  const { plan, resolution, augmentation, mixupAlpha, split, mode, seed, classes } = setup;
  const { store, signal, callbacks = {} } = options;
  const k = classes.length;
  const model: tfl.LayersModel = modelForClasses(options.model, k, options.newHead);
  tagFineTuned(model, classes, resolution.crop);
  const context: TrainContext = { model, plan };
  const target = makeTarget(model, mode);
  const optimizer = new MomentumSgd(target.weights, plan.momentum, {
    weightDecay: plan.weightDecay,
  });
  let provider: BatchProvider | undefined;
  let session: GradientSession | undefined;
  try {
    let step = 0;
    let dataState: PipelineState | null = null;
    let resumedFrom: number | undefined;
    let finished = false;
    const checkpoint: TrainCheckpoint | undefined =
      options.resume && store ? await store.readCheckpoint() : undefined;
    if (checkpoint) {
      checkResumable(checkpoint.state, setup);
      await restoreCheckpoint(checkpoint, model, optimizer);
      step = checkpoint.state.step;
      dataState = checkpoint.state.data;
      finished = checkpoint.state.finished;
      resumedFrom = step;
    }
    await store?.truncateMetrics(step);

    const stateAt = (finishedNow: boolean): CheckpointState => ({
      version: 1,
      step,
      finished: finishedNow,
      data: dataState,
      plan,
      mode,
      seed,
      mixupAlpha,
      resolution,
      augmentation,
      classes,
      batchSplit: split.numMicroBatches,
      savedAt: new Date().toISOString(),
    });
    const writeCheckpoint = async (reason: CheckpointReason) => {
      if (!store) return;
      await store.writeCheckpoint(
        await captureCheckpoint(model, optimizer, stateAt(reason === 'end')),
      );
      await callbacks.onCheckpoint?.({ step, reason }, context);
    };
    const evals: EvalMetrics[] = [];
    const runEval = async (): Promise<EvalResult | undefined> => {
      if (!options.val) return undefined;
      const r = await evaluate(model, options.val, {
        batchSize: options.evalBatchSize ?? Math.min(64, split.microBatch),
        resolution: resolution.crop,
        executor: options.executor,
        onWarning: options.onWarning,
      });
      const line: EvalMetrics = { step, split: 'val', ...r };
      evals.push(line);
      await store?.appendMetrics([line]);
      await callbacks.onEvalEnd?.(line, context);
      return r;
    };

    let status: FineTuneStatus = 'completed';
    let lastLoss: number | undefined;
    let finalEval: EvalResult | undefined;
    if (!finished) {
      const executor = options.gradientExecutor;
      if (executor && executor.replicas > 1) session = await executor.attach(model, target);
      if (mode === 'features') {
        const features = await computeFeatures(model, options.train, {
          batchSize: Math.min(64, split.microBatch),
          resolution,
          executor: options.executor,
          onWarning: options.onWarning,
        });
        provider = featureBatches(features, {
          batchSize: plan.batchSize,
          seed,
          mixupAlpha,
          state: dataState ?? undefined,
        });
      } else {
        provider = imageBatches(options.train, {
          batchSize: plan.batchSize,
          resolution,
          seed,
          mixupAlpha,
          // What the checkpoints record is what the pipeline uses.
          crop: augmentation.crop,
          cropArea: augmentation.cropArea,
          flip: augmentation.flip,
          augmentations: augmentation.extra,
          state: dataState ?? undefined,
          prefetch: options.prefetch,
          executor: options.executor,
          onWarning: options.onWarning,
        });
      }
      const evalEvery = options.evalEvery ?? 0;
      const checkpointEvery = options.checkpointEvery ?? 0;
      for (;;) {
        if (signal?.aborted) {
          status = 'aborted';
          await writeCheckpoint('abort');
          break;
        }
        const lr = lrForPlan(plan, step);
        if (lr === null) break;
        const started = performance.now();
        const batch = await provider.next();
        if (!batch) {
          status = 'data-exhausted';
          await writeCheckpoint('abort');
          break;
        }
        const loss = await trainStep(target, optimizer, batch, split, lr, step, session);
        const seconds = (performance.now() - started) / 1000;
        lastLoss = loss;
        const line: StepMetrics = {
          step,
          loss,
          lr,
          imagesPerSecond: seconds > 0 ? batch.size / seconds : 0,
          lambda: batch.lambda,
        };
        step++;
        dataState = batch.state;
        await store?.appendMetrics([line]);
        await callbacks.onStepEnd?.(line, context);
        if (step < plan.totalSteps) {
          if (evalEvery > 0 && step % evalEvery === 0) {
            await runEval();
            // The backbone moves on: its inference kernels would only hold memory.
            if (mode === 'full') releaseInferenceCaches(model);
          }
          if (checkpointEvery > 0 && step % checkpointEvery === 0)
            await writeCheckpoint('periodic');
        }
      }
      if (status === 'completed') {
        finalEval = await runEval();
        await writeCheckpoint('end');
      }
    }
    if (status === 'completed') await store?.saveModel(model);
    const result: FineTuneResult = {
      model,
      plan,
      status,
      step,
      ...(resumedFrom !== undefined ? { resumedFrom } : {}),
      ...(lastLoss !== undefined ? { lastLoss } : {}),
      evals,
      ...(finalEval ? { finalEval } : {}),
      classes,
      resolution,
      mixupAlpha,
    };
    await callbacks.onTrainEnd?.(result, context);
    return result;
  } finally {
    try {
      await session?.close();
    } finally {
      await provider?.close();
      optimizer.dispose();
    }
  }
}
