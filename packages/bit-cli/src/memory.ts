import { freemem } from 'node:os';
import {
  planBatchSplitByCount,
  planBatchSplitForMemory,
  estimateTrainingMemory,
  type MemoryArchitecture,
} from '@bit/hyperrule';
import { UsageError } from './errors';

const MiB = 2 ** 20;

/** tfjs-backend-wasm's heap (wasm32) cannot grow past 4 GiB; keep a quarter for fragmentation. */
export const WASM_HEAP_BUDGET = 3 * 1024 * MiB;

/** Share of the available memory `bit finetune` plans for when `--memory` is not given. */
export const DEFAULT_MEMORY_SHARE = 0.75;

/** Bytes of memory available now (free plus reclaimable caches where Node can tell). */
export function availableMemory(): number {
  const p = process as { availableMemory?: () => number };
  const avail = typeof p.availableMemory === 'function' ? p.availableMemory() : 0;
  return avail > 0 ? avail : freemem();
}

/** The memory budget of a training step and how it was arrived at. */
export interface MemoryBudget {
  bytes: number;
  /** Why this many bytes, for the log line. */
  reason: string;
}

/**
 * The budget: `--memory` MB when given, else {@link DEFAULT_MEMORY_SHARE} of the available
 * memory; on wasm never more than {@link WASM_HEAP_BUDGET}.
 */
export function memoryBudget(memoryMb: number | undefined, backend: string): MemoryBudget {
  let bytes: number;
  let reason: string;
  if (memoryMb !== undefined) {
    bytes = memoryMb * MiB;
    reason = '--memory';
  } else {
    const avail = availableMemory();
    bytes = Math.floor(avail * DEFAULT_MEMORY_SHARE);
    reason = `${Math.round(DEFAULT_MEMORY_SHARE * 100)}% of ${mib(avail)} available`;
  }
  if (backend === 'wasm' && bytes > WASM_HEAP_BUDGET) {
    bytes = WASM_HEAP_BUDGET;
    reason += `, capped to the wasm heap (4 GiB, ${mib(WASM_HEAP_BUDGET)} planned)`;
  }
  return { bytes, reason };
}

/** `n` bytes as MiB or GiB for a log line. */
export function mib(n: number): string {
  return n >= 10 * 1024 * MiB
    ? `${(n / (1024 * MiB)).toFixed(1)} GiB`
    : `${Math.round(n / MiB)} MiB`;
}

/** The batch split `bit finetune` runs with, and the line that says why. */
export interface ChosenSplit {
  numMicroBatches: number;
  microBatch: number;
  estimatedBytes: number;
  message: string;
}

/**
 * Picks the batch split: `--batch-split N` when given (with a warning when its estimate exceeds
 * the budget), else the fewest micro-batches whose estimated memory fits the budget.
 */
export function chooseBatchSplit(
  batchSize: number,
  batchSplit: number | undefined,
  budget: MemoryBudget,
  arch: MemoryArchitecture,
  crop: number,
): ChosenSplit {
  const est = estimateTrainingMemory(arch, crop);
  const perImage = `${mib(est.bytesPerImage)} per image at ${crop} px`;
  if (batchSplit !== undefined) {
    const plan = planBatchSplitByCount(batchSize, batchSplit);
    const bytes = est.fixedBytes + plan.microBatch * est.bytesPerImage;
    const over =
      bytes > budget.bytes ? `; over the ${mib(budget.bytes)} budget (${budget.reason})` : '';
    return {
      numMicroBatches: plan.numMicroBatches,
      microBatch: plan.microBatch,
      estimatedBytes: bytes,
      message:
        `batch ${batchSize} as ${plan.numMicroBatches} micro-batches of up to ${plan.microBatch} ` +
        `(--batch-split); estimated ${mib(bytes)} (${perImage})${over}`,
    };
  }
  const plan = planBatchSplitForMemory(batchSize, budget.bytes, arch, crop);
  const tight = plan.fits ? '' : '; even one image exceeds the budget: expect to run out of memory';
  return {
    numMicroBatches: plan.numMicroBatches,
    microBatch: plan.microBatch,
    estimatedBytes: plan.estimatedBytes,
    message:
      `memory budget ${mib(budget.bytes)} (${budget.reason}): batch ${batchSize} as ` +
      `${plan.numMicroBatches} micro-batch${plan.numMicroBatches > 1 ? 'es' : ''} of up to ${plan.microBatch}, ` +
      `estimated ${mib(plan.estimatedBytes)} (${perImage})${tight}`,
  };
}

/** The heap tfjs-backend-wasm cannot grow past (wasm32 addresses). */
const WASM_HEAP_LIMIT = 4 * 1024 * MiB;

/**
 * True for the ways a full wasm heap surfaces: an access past its end (a WebAssembly
 * RuntimeError), a view or buffer it cannot make (a RangeError). By message, so that the same
 * failure relayed from a worker thread as a plain Error counts too.
 */
function looksLikeHeapExhaustion(err: unknown): boolean {
  return (
    err instanceof Error &&
    /memory access out of bounds|invalid typed array length|array buffer allocation failed/i.test(
      err.message,
    )
  );
}

/**
 * `err` restated as a {@link UsageError} naming `flag` when it looks like tfjs-backend-wasm's
 * heap ran out and the estimate of a training micro-batch of `microBatch` images at `crop` px
 * is over the heap's {@link WASM_HEAP_BUDGET}; else `err` itself. The advice gives the largest
 * micro-batch the estimate fits in the 4 GiB heap (the estimate is conservative).
 */
export function explainWasmHeapError(
  err: unknown,
  arch: MemoryArchitecture,
  crop: number,
  microBatch: number,
  flag: string,
  usage: string,
): unknown {
  if (!looksLikeHeapExhaustion(err)) return err;
  const est = estimateTrainingMemory(arch, crop);
  const bytes = est.fixedBytes + microBatch * est.bytesPerImage;
  if (bytes <= WASM_HEAP_BUDGET) return err;
  const fits = Math.max(1, Math.floor((WASM_HEAP_LIMIT - est.fixedBytes) / est.bytesPerImage));
  return new UsageError(
    `${flag}: a training micro-batch of ${microBatch} at ${crop} px ran out of the wasm heap ` +
      `(4 GiB; estimated ${mib(bytes)}, ${mib(est.bytesPerImage)} per image): ` +
      `keep micro-batches to about ${fits} images or fewer (--batch-split, or a smaller --batch)`,
    usage,
  );
}
