/** `bit bench --workers N`: a training step's gradients shared among N replicas (worker threads). */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { planBatchSplitByCount } from '@bit/hyperrule';
import { accumulateGradients, makeTarget, type StepBatch } from '@bit/train';
import { createTrainWorkers, type GradientSession } from '@bit/train/node';
import { workerBackend } from './backends';

/** How bench's training step runs. */
export interface BenchTrainOptions {
  /** Replicas: 1 runs in this thread, more in worker threads. */
  workers: number;
  /** Micro-batches a batch is split into (as `bit finetune --batch-split`). */
  batchSplit: number;
  /** The tfjs backend of this thread, which the workers use too. */
  backend: string;
}

/**
 * A timed training step for bench: the gradients of one batch (inputs `x`, one-hot `labels`) as
 * the training loop computes them, as `batchSplit` micro-batches, in this thread (`workers` 1)
 * or shared among `workers` replicas; `close` stops the threads.
 */
export async function benchTrainStep(
  model: tfl.LayersModel,
  x: tf.Tensor,
  labels: tf.Tensor,
  { workers, batchSplit, backend }: BenchTrainOptions,
): Promise<{ step: () => Promise<void>; close: () => Promise<void> }> {
  const target = makeTarget(model, 'full');
  const batch: StepBatch = {
    inputs: x.dataSync() as Float32Array,
    shape: x.shape,
    targets: labels.dataSync() as Float32Array,
    numClasses: labels.shape[1]!,
  };
  const split = planBatchSplitByCount(x.shape[0], batchSplit);
  const session: GradientSession | undefined =
    workers > 1
      ? await createTrainWorkers({ workers, ...workerBackend(backend) }).attach(model, target)
      : undefined;
  return {
    async step() {
      const { grads } = session
        ? await session.accumulate(batch, split)
        : await accumulateGradients(target, batch, split);
      tf.dispose([...grads.values()]);
    },
    close: async () => session?.close(),
  };
}
