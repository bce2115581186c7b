/**
 * One optimizer step: gradients accumulated over micro-batches (batch split), the loss guard,
 * then the SGD update. Each micro-batch's mean loss is weighted by `size / batchSize`, so the
 * summed gradient is the full batch's mean-loss gradient, whatever the split.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchSplitPlan } from '@bit/hyperrule';
import { NonFiniteLossError, TrainConfigError } from '../errors';
import { softCrossEntropy } from '../loss/cross-entropy';
import type { MomentumSgd } from '../optimizer/momentum-sgd';
import type { GradientSession } from './parallel';
import type { TrainTarget } from './target';

/** A training batch as the step consumes it. */
export interface StepBatch {
  /** Inputs, row-major: images [B, H, W, 3] or features [B, D]. */
  readonly inputs: Float32Array;
  /** Shape of `inputs` (first dimension B). */
  readonly shape: readonly number[];
  /** Soft targets [B, K] (one-hot, or MixUp-mixed one-hot). */
  readonly targets: Float32Array;
  readonly numClasses: number;
}

/** Gradients summed over the micro-batches, and the full batch's mean loss. */
export interface AccumulatedGradients {
  /** Weight name -> gradient (owned by the caller: dispose them). */
  readonly grads: Map<string, tf.Tensor>;
  /** Mean loss of the batch (the weighted sum of the micro-batches' mean losses). */
  readonly loss: number;
}

function rows(shape: readonly number[]): number {
  return shape.slice(1).reduce((p, d) => p * d, 1);
}

/**
 * Gradients of the batch's mean soft cross-entropy with respect to `target.weights`,
 * accumulated over the micro-batches of `split` (whose sizes must add up to the batch).
 */
export async function accumulateGradients(
  target: TrainTarget,
  batch: StepBatch,
  split: BatchSplitPlan,
): Promise<AccumulatedGradients> {
  const size = batch.shape[0];
  if (split.batchSize !== size) {
    throw new TrainConfigError(
      `batch split plans ${split.batchSize} examples but the batch has ${size}`,
    );
  }
  const perInput = rows(batch.shape);
  const k = batch.numClasses;
  const vars = target.weights.map((w) => w.variable);
  const names = new Map(target.weights.map((w) => [w.variable.name, w.name]));
  const grads = new Map<string, tf.Tensor>();
  let lossSum: tf.Scalar | undefined;
  let offset = 0;
  for (let i = 0; i < split.numMicroBatches; i++) {
    const n = split.microBatchSizes[i];
    const weight = split.weights[i];
    const x = tf.tensor(
      batch.inputs.subarray(offset * perInput, (offset + n) * perInput),
      [n, ...batch.shape.slice(1)],
      'float32',
    );
    const y = tf.tensor2d(batch.targets.subarray(offset * k, (offset + n) * k), [n, k], 'float32');
    offset += n;
    const prepared = target.prepare(x);
    const { value, grads: g } = tf.variableGrads(() => {
      const loss = softCrossEntropy(target.logits(prepared), y);
      return weight === 1 ? loss : tf.mul(loss, tf.scalar(weight, 'float32'));
    }, vars);
    if (prepared !== x) prepared.dispose();
    tf.dispose([x, y]);
    for (const [varName, grad] of Object.entries(g)) {
      const name = names.get(varName)!;
      const prev = grads.get(name);
      if (prev) {
        grads.set(name, tf.add(prev, grad));
        tf.dispose([prev, grad]);
      } else {
        grads.set(name, grad);
      }
    }
    if (lossSum) {
      const next = tf.add(lossSum, value) as tf.Scalar;
      tf.dispose([lossSum, value]);
      lossSum = next;
    } else {
      lossSum = value;
    }
  }
  const loss = (await lossSum!.data())[0];
  lossSum!.dispose();
  return { grads, loss };
}

/**
 * One optimizer step at learning rate `lr`: accumulate the gradients, check the loss (throwing
 * {@link NonFiniteLossError} before any weight changes), update. Returns the batch's mean loss.
 * With `session`, its replicas compute the gradients (the same update, see `planShards`).
 */
export async function trainStep(
  target: TrainTarget,
  optimizer: MomentumSgd,
  batch: StepBatch,
  split: BatchSplitPlan,
  lr: number,
  step: number,
  session?: GradientSession,
): Promise<number> {
  const { grads, loss } = session
    ? await session.accumulate(batch, split)
    : await accumulateGradients(target, batch, split);
  try {
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(step, loss);
    optimizer.apply(grads, lr);
  } finally {
    tf.dispose([...grads.values()]);
  }
  return loss;
}
