/** A full wasm heap is restated as a usage error naming the flag, only where the estimate says so. */
import { describe, expect, it } from 'vitest';
import { explainWasmHeapError } from '../src/memory';
import { isInputError, UsageError } from '../src/errors';

const R50x1 = { units: [3, 4, 6, 3], width: 1, parameters: 25_549_352 };
const usage = 'bit bench ...';

describe('explainWasmHeapError', () => {
  const outOfBounds = new WebAssembly.RuntimeError('memory access out of bounds');

  it('a heap failure at a micro-batch the estimate puts over the heap: exit 2, naming the flag and a size that fits', () => {
    const err = explainWasmHeapError(outOfBounds, R50x1, 128, 32, '--batch 32', usage);
    expect(err).toBeInstanceOf(UsageError);
    expect(isInputError(err)).toBe(true);
    const { message } = err as UsageError;
    expect(message).toMatch(
      /^--batch 32: a training micro-batch of 32 at 128 px ran out of the wasm heap/,
    );
    // (4 GiB - fixed) / per-image bytes of R50x1 at 128 px: 18 images.
    expect(message).toMatch(/about 18 images or fewer \(--batch-split, or a smaller --batch\)/);
    // The same failure relayed from a worker thread as a plain Error.
    const relayed = explainWasmHeapError(
      new Error('memory access out of bounds'),
      R50x1,
      128,
      32,
      '--batch 32',
      usage,
    );
    expect(relayed).toBeInstanceOf(UsageError);
    const view = explainWasmHeapError(
      new RangeError('Invalid typed array length: 4613734400'),
      R50x1,
      224,
      8,
      '--batch-split 2',
      usage,
    );
    expect((view as UsageError).message).toMatch(/^--batch-split 2: .* of 8 at 224 px/);
  });

  it('anything else, or a micro-batch that fits the heap, is left as it was', () => {
    expect(explainWasmHeapError(outOfBounds, R50x1, 128, 4, '--batch 4', usage)).toBe(outOfBounds);
    const other = new Error('something else');
    expect(explainWasmHeapError(other, R50x1, 128, 32, '--batch 32', usage)).toBe(other);
    expect(explainWasmHeapError('a string', R50x1, 128, 32, '--batch 32', usage)).toBe('a string');
  });
});
