import { HyperRuleError } from './errors';
import { assertPositiveInteger } from './validate';

/** How one optimizer step's batch is computed as several micro-batches (gradient accumulation). */
export interface BatchSplitPlan {
  /** Examples per optimizer step (sum of `microBatchSizes`). */
  batchSize: number;
  /** Largest micro-batch size (what must fit in memory). */
  microBatch: number;
  /** Number of micro-batches per optimizer step. */
  numMicroBatches: number;
  /** Size of each micro-batch, largest first; sizes differ by at most 1. */
  microBatchSizes: number[];
  /**
   * Loss weight of each micro-batch: `microBatchSizes[i] / batchSize`. Multiplying each
   * micro-batch's mean loss by its weight and summing the gradients gives exactly the gradient
   * of the full batch's mean loss.
   */
  weights: number[];
  /** True when all micro-batches have the same size (the only case the official code supports). */
  even: boolean;
}

function splitEvenly(batchSize: number, k: number): BatchSplitPlan {
  const base = Math.floor(batchSize / k);
  const extra = batchSize % k;
  const microBatchSizes = Array.from({ length: k }, (_, i) => (i < extra ? base + 1 : base));
  return {
    batchSize,
    microBatch: microBatchSizes[0],
    numMicroBatches: k,
    microBatchSizes,
    weights: microBatchSizes.map((s) => s / batchSize),
    even: extra === 0,
  };
}

/**
 * Splits a batch into the fewest micro-batches of at most `maxMicroBatch` examples each, sizes as
 * even as possible (they differ by at most 1, largest first).
 *
 * The official PyTorch `--batch_split N` uses `batch // N` examples per micro-batch and divides
 * each micro-batch's loss by N, which is exact only when N divides the batch. Here a batch that
 * does not divide evenly gets uneven micro-batches (e.g. 10 with max 4 -> [4, 3, 3]); the trainer
 * must then weight each micro-batch's mean loss by `weights[i] = size / batchSize` (not `1 / k`) so
 * that the accumulated gradient equals the full-batch gradient.
 *
 * @throws HyperRuleError (a RangeError) unless both arguments are positive integers.
 */
export function planBatchSplit(batchSize: number, maxMicroBatch: number): BatchSplitPlan {
  assertPositiveInteger('planBatchSplit', 'batchSize', batchSize);
  assertPositiveInteger('planBatchSplit', 'maxMicroBatch', maxMicroBatch);
  return splitEvenly(batchSize, Math.ceil(batchSize / maxMicroBatch));
}

/**
 * Splits a batch into exactly `numMicroBatches` micro-batches (the official `--batch_split N`),
 * sizes as even as possible. Unlike the official code, a batch that `numMicroBatches` does not
 * divide keeps all its examples: some micro-batches get one more (weight them by `weights`).
 *
 * @throws HyperRuleError (a RangeError) unless both are positive integers and
 *   `numMicroBatches <= batchSize`.
 */
export function planBatchSplitByCount(batchSize: number, numMicroBatches: number): BatchSplitPlan {
  assertPositiveInteger('planBatchSplitByCount', 'batchSize', batchSize);
  assertPositiveInteger('planBatchSplitByCount', 'numMicroBatches', numMicroBatches);
  if (numMicroBatches > batchSize) {
    throw new HyperRuleError(
      'planBatchSplitByCount',
      'numMicroBatches',
      `must be at most batchSize (${batchSize}) so that no micro-batch is empty, got ${numMicroBatches}`,
    );
  }
  return splitEvenly(batchSize, numMicroBatches);
}
