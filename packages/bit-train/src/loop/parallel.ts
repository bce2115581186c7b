/**
 * Data-parallel gradients: the plug-in point through which a training step's gradients are
 * computed by several replicas of the model (worker threads in Node: `createTrainWorkers` in
 * `@bit/train/node`). Each replica gets a contiguous shard of the batch, whose micro-batches'
 * mean losses are weighted by `size / batchSize`, so the summed gradients are exactly the
 * update batch split gives (GroupNorm has no batch statistics), up to float summation order.
 * Isomorphic: only the interfaces and the shard planning live here.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { BatchSplitPlan } from '@bit/hyperrule';
import type { AccumulatedGradients, StepBatch } from './step';
import type { TrainTarget } from './target';

/** One replica's part of a batch: examples `[offset, offset + plan.batchSize)`. */
export interface BatchShard {
  /** First example of the shard in the batch. */
  readonly offset: number;
  /**
   * The shard's micro-batches. `plan.batchSize` is the shard's size; `plan.weights[i]` is
   * `microBatchSizes[i] / fullBatchSize` (not of the shard), so the shards' gradients add up to
   * the full batch's mean-loss gradient.
   */
  readonly plan: BatchSplitPlan;
}

function shardPlan(sizes: number[], batchSize: number): BatchSplitPlan {
  const total = sizes.reduce((a, b) => a + b, 0);
  return {
    batchSize: total,
    microBatch: Math.max(...sizes),
    numMicroBatches: sizes.length,
    microBatchSizes: sizes,
    weights: sizes.map((s) => s / batchSize),
    even: sizes.every((s) => s === sizes[0]),
  };
}

/**
 * Splits one optimizer step's batch (planned as `split`) over at most `replicas` replicas.
 * With at least as many micro-batches as replicas, each replica gets a contiguous run of the
 * plan's own micro-batches (the same micro-batches as on one replica); otherwise the batch is
 * cut into `replicas` shards of sizes as even as possible (largest first), one micro-batch each.
 * Shard sizes add up to the batch; no shard is empty (fewer shards when the batch is smaller).
 */
export function planShards(split: BatchSplitPlan, replicas: number): BatchShard[] {
  const n = Math.max(1, Math.min(Math.floor(replicas), split.batchSize));
  const groups: number[][] = [];
  if (split.numMicroBatches >= n) {
    const base = Math.floor(split.numMicroBatches / n);
    const extra = split.numMicroBatches % n;
    let at = 0;
    for (let r = 0; r < n; r++) {
      const count = r < extra ? base + 1 : base;
      groups.push(split.microBatchSizes.slice(at, at + count));
      at += count;
    }
  } else {
    const base = Math.floor(split.batchSize / n);
    const extra = split.batchSize % n;
    for (let r = 0; r < n; r++) groups.push([r < extra ? base + 1 : base]);
  }
  const shards: BatchShard[] = [];
  let offset = 0;
  for (const sizes of groups) {
    const plan = shardPlan(sizes, split.batchSize);
    shards.push({ offset, plan });
    offset += plan.batchSize;
  }
  return shards;
}

/** The rows `[offset, offset + size)` of a step batch, as a batch of its own (copies). */
export function sliceBatch(batch: StepBatch, offset: number, size: number): StepBatch {
  const per = batch.shape.slice(1).reduce((p, d) => p * d, 1);
  const k = batch.numClasses;
  return {
    inputs: batch.inputs.slice(offset * per, (offset + size) * per),
    shape: [size, ...batch.shape.slice(1)],
    targets: batch.targets.slice(offset * k, (offset + size) * k),
    numClasses: k,
  };
}

/**
 * A training run's replicas, attached to its model: computes a step's accumulated gradients
 * (the same result as `accumulateGradients(target, batch, split)` on one replica).
 */
export interface GradientSession {
  /** Replicas that share each step (the calling thread included). */
  readonly replicas: number;
  /**
   * Gradients of the batch's mean loss (planned as `split`) with respect to the target's
   * weights, at the weights the model holds now. The caller owns (disposes) the gradients.
   */
  accumulate(batch: StepBatch, split: BatchSplitPlan): Promise<AccumulatedGradients>;
  /** Stops the replicas (idempotent). Called by the loop on success, abort and error. */
  close(): Promise<void>;
}

/**
 * Where a step's gradients are computed. The training loop calls `attach` once per run, after
 * the head is in place and a checkpoint restored, and closes the session when it ends.
 */
export interface GradientExecutor {
  /** Replicas it runs (the calling thread included); 1 means in-thread only. */
  readonly replicas: number;
  /** Starts the replicas with copies of `model` (the weights it holds now) training `target`. */
  attach(model: tfl.LayersModel, target: TrainTarget): Promise<GradientSession>;
}
