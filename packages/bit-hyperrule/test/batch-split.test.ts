import { describe, expect, it } from 'vitest';
import { planBatchSplit, planBatchSplitByCount } from '../src/index';

describe('planBatchSplit', () => {
  it('uses the fewest micro-batches within the bound, sizes summing to the batch and differing by <= 1', () => {
    const problems: string[] = [];
    const check = (ok: boolean, what: string) => {
      if (!ok) problems.push(what);
    };
    for (let batch = 1; batch <= 130; batch++) {
      for (let max = 1; max <= batch + 3; max++) {
        const p = planBatchSplit(batch, max);
        const at = `(${batch}, ${max}) -> ${JSON.stringify(p.microBatchSizes)}`;
        const sizes = p.microBatchSizes;
        const hi = Math.max(...sizes);
        const lo = Math.min(...sizes);
        check(sizes.reduce((a, b) => a + b, 0) === batch, `sum ${at}`);
        check(p.batchSize === batch, `batchSize ${at}`);
        check(p.numMicroBatches === sizes.length, `count ${at}`);
        check(hi <= max, `bound ${at}`);
        check(hi - lo <= 1, `uneven ${at}`);
        check(lo >= 1 && sizes.every(Number.isInteger), `empty ${at}`);
        check(p.microBatch === hi, `microBatch ${at}`);
        // fewest: one micro-batch fewer could not hold the batch within the bound
        check((p.numMicroBatches - 1) * max < batch, `not fewest ${at}`);
        check(p.even === (batch % p.numMicroBatches === 0), `even ${at}`);
        check(Math.abs(p.weights.reduce((a, b) => a + b, 0) - 1) < 1e-12, `weights sum ${at}`);
        check(
          p.weights.every((w, i) => w === sizes[i] / batch),
          `weights ${at}`,
        );
      }
    }
    expect(problems).toEqual([]);
  });
  it('reproduces the official even splits of 512', () => {
    expect(planBatchSplit(512, 512).microBatchSizes).toEqual([512]);
    expect(planBatchSplit(512, 128).microBatchSizes).toEqual([128, 128, 128, 128]);
    expect(planBatchSplit(512, 100).microBatchSizes).toEqual([86, 86, 85, 85, 85, 85]);
    expect(planBatchSplit(10, 4).microBatchSizes).toEqual([4, 3, 3]);
  });
  it('weighted micro-batch mean losses sum to the full-batch mean loss', () => {
    const losses = Array.from({ length: 37 }, (_, i) => Math.sin(i * 1.7) + 2);
    const fullMean = losses.reduce((a, b) => a + b, 0) / losses.length;
    const p = planBatchSplit(37, 8);
    let offset = 0;
    let acc = 0;
    p.microBatchSizes.forEach((size, i) => {
      const part = losses.slice(offset, offset + size);
      offset += size;
      acc += (part.reduce((a, b) => a + b, 0) / size) * p.weights[i];
    });
    expect(acc).toBeCloseTo(fullMean, 12);
  });
});

describe('planBatchSplitByCount', () => {
  it('makes exactly N micro-batches, as even as possible', () => {
    for (let batch = 1; batch <= 80; batch++) {
      for (let n = 1; n <= batch; n++) {
        const p = planBatchSplitByCount(batch, n);
        expect(p.numMicroBatches).toBe(n);
        expect(p.microBatchSizes.reduce((a, b) => a + b, 0)).toBe(batch);
        expect(p.microBatch).toBe(Math.ceil(batch / n));
        expect(p.microBatchSizes[n - 1]).toBe(Math.floor(batch / n));
      }
    }
    expect(planBatchSplitByCount(512, 4).microBatchSizes).toEqual([128, 128, 128, 128]);
    expect(planBatchSplitByCount(512, 3).microBatchSizes).toEqual([171, 171, 170]);
  });
});
