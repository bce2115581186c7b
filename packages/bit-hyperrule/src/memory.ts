/**
 * Memory of a ResNetV2 training step, estimated from the architecture and the crop, and the batch
 * split that keeps it inside a budget. The constants were measured with `tf.profile` (peak tensor
 * bytes of one forward + backward pass) on tfjs-backend-wasm 4.22: R50x1 at 64, 96 and 128 px with
 * micro-batches of 2 to 4 grows by 43 MB per image at 64 px and 4x that at 128 px (7.7 bytes of
 * saved tensors per feature-map element, counted as below), on top of about 8x the weights' bytes.
 * Checked at the split the CLI picks for wasm: 12 images of R50x1 at 128 px peak at 2927 MB; the
 * estimate (with the momentum buffer) is 3158 MB.
 */
import { planBatchSplit, type BatchSplitPlan } from './batch-split';
import { HyperRuleError } from './errors';
import { assertPositiveFinite, assertPositiveInteger } from './validate';

/** What the estimate needs to know of the network (a BiT ResNetV2). */
export interface MemoryArchitecture {
  /** Units in each of the four blocks, e.g. [3, 4, 6, 3] for R50. */
  readonly units: readonly number[];
  /** Width multiplier (root channels / 64). */
  readonly width: number;
  /** Parameter count (weights, gradients, momentum and standardised kernels scale with it). */
  readonly parameters: number;
}

/** Bytes kept per feature-map element in a training step (float32 x 8, measured 7.7). */
export const TRAINING_BYTES_PER_ELEMENT = 32;

/**
 * Bytes per parameter during training besides activations: the weights, their gradients, the
 * momentum buffer and the transient copies of weight standardisation (measured about 8 plus the
 * weights and momentum, 4 bytes each).
 */
export const TRAINING_BYTES_PER_PARAMETER = 40;

/**
 * Feature-map elements of one image that a training step keeps for the backward pass: root conv
 * and pool outputs, each unit's input, 1x1, 3x3, 1x1 (and projection) outputs, the final map.
 */
export function featureMapElements(
  arch: Omit<MemoryArchitecture, 'parameters'>,
  crop: number,
): number {
  assertPositiveInteger('featureMapElements', 'crop', crop);
  if (arch.units.length !== 4 || arch.units.some((u) => !Number.isInteger(u) || u < 1)) {
    throw new HyperRuleError(
      'featureMapElements',
      'units',
      `must be 4 positive integers, got [${arch.units.join(', ')}]`,
    );
  }
  assertPositiveFinite('featureMapElements', 'width', arch.width);
  const root = Math.round(64 * arch.width);
  let side = Math.ceil(crop / 2);
  let total = root * side * side;
  side = Math.ceil(side / 2);
  total += root * side * side;
  let cin = root;
  arch.units.forEach((n, block) => {
    const mid = Math.round(64 * arch.width * 2 ** block);
    const out = 4 * mid;
    for (let u = 0; u < n; u++) {
      const next = u === 0 && block > 0 ? Math.ceil(side / 2) : side;
      const inArea = side * side;
      const outArea = next * next;
      total += cin * inArea + mid * inArea + mid * outArea + out * outArea;
      if (u === 0) total += out * outArea; // projection shortcut
      cin = out;
      side = next;
    }
  });
  return total + cin * side * side;
}

/** A training step's estimated memory. */
export interface TrainingMemoryEstimate {
  /** Bytes that grow with each image of a micro-batch. */
  bytesPerImage: number;
  /** Bytes that do not depend on the micro-batch (weights, gradients, optimizer state). */
  fixedBytes: number;
}

/** Estimates the memory of a training step of `arch` at `crop` x `crop` pixels. */
export function estimateTrainingMemory(
  arch: MemoryArchitecture,
  crop: number,
): TrainingMemoryEstimate {
  assertPositiveInteger('estimateTrainingMemory', 'parameters', arch.parameters);
  return {
    bytesPerImage: featureMapElements(arch, crop) * TRAINING_BYTES_PER_ELEMENT,
    fixedBytes: arch.parameters * TRAINING_BYTES_PER_PARAMETER,
  };
}

/** A batch split chosen for a memory budget, with the estimate behind it. */
export interface MemoryBatchSplitPlan extends BatchSplitPlan {
  /** The estimate the split was chosen from. */
  estimate: TrainingMemoryEstimate;
  /** Estimated peak bytes of the largest micro-batch. */
  estimatedBytes: number;
  /** False when even a micro-batch of one image exceeds the budget (the plan then uses 1). */
  fits: boolean;
}

/**
 * The fewest micro-batches (largest micro-batch) whose estimated training memory stays within
 * `budgetBytes`: `microBatch = floor((budget - fixed) / perImage)`, at least 1, at most the batch.
 *
 * @throws HyperRuleError (a RangeError) for a batch size that is not a positive integer or a
 *   budget that is not a positive number.
 */
export function planBatchSplitForMemory(
  batchSize: number,
  budgetBytes: number,
  arch: MemoryArchitecture,
  crop: number,
): MemoryBatchSplitPlan {
  assertPositiveInteger('planBatchSplitForMemory', 'batchSize', batchSize);
  assertPositiveFinite('planBatchSplitForMemory', 'budgetBytes', budgetBytes);
  const estimate = estimateTrainingMemory(arch, crop);
  const fitting = Math.floor((budgetBytes - estimate.fixedBytes) / estimate.bytesPerImage);
  const micro = Math.min(batchSize, Math.max(1, fitting));
  const plan = planBatchSplit(batchSize, micro);
  const estimatedBytes = estimate.fixedBytes + plan.microBatch * estimate.bytesPerImage;
  return { ...plan, estimate, estimatedBytes, fits: fitting >= 1 };
}
