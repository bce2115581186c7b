import { describe, expect, it } from 'vitest';
import {
  estimateTrainingMemory,
  featureMapElements,
  HyperRuleError,
  planBatchSplitForMemory,
  resolutionForCrop,
} from '../src/index';

const R50x1 = { units: [3, 4, 6, 3], width: 1, parameters: 25_549_352 };
const MB = 1e6;

describe('resolutionForCrop', () => {
  it("keeps the HyperRule's own resolutions and ratio", () => {
    expect(resolutionForCrop(128)).toEqual({ precrop: 160, crop: 128 });
    expect(resolutionForCrop(480)).toEqual({ precrop: 512, crop: 480 });
    expect(resolutionForCrop(32)).toEqual({ precrop: 40, crop: 32 });
    expect(resolutionForCrop(64)).toEqual({ precrop: 80, crop: 64 });
    expect(resolutionForCrop(500)).toEqual({ precrop: 533, crop: 500 });
  });
  it('refuses a crop that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, NaN])
      expect(() => resolutionForCrop(bad)).toThrow(HyperRuleError);
  });
});

describe('training memory estimate', () => {
  it('matches the tf.profile peaks measured on wasm for R50x1 (within 15%, never below)', () => {
    // Measured (23.5M-parameter 10-class R50x1, forward + backward): 43.1 MB per image at 64 px,
    // 1091 MB for 2 images at 128 px, 1039 MB for 3 at 96 px, above the 94 MB of weights.
    const measured: Array<[number, number, number]> = [
      [128, 2, 1091 * MB + 94 * MB],
      [96, 3, 1039 * MB + 94 * MB],
    ];
    const arch = { ...R50x1, parameters: 23_520_842 };
    for (const [crop, n, bytes] of measured) {
      const e = estimateTrainingMemory(arch, crop);
      const total = e.fixedBytes + n * e.bytesPerImage;
      expect(total / bytes, `${crop} px x ${n}`).toBeGreaterThan(0.95);
      expect(total / bytes, `${crop} px x ${n}`).toBeLessThan(1.15);
    }
    // The split the CLI picks on wasm (3 GiB): 12 images at 128 px, 1000-class head; measured
    // peak 2927 MB (plus the momentum buffer, 102 MB, that a profile of one pass does not hold).
    const e12 = estimateTrainingMemory(R50x1, 128);
    const ratio = (e12.fixedBytes + 12 * e12.bytesPerImage) / (2927 * MB + 102 * MB);
    expect(ratio).toBeGreaterThan(1);
    expect(ratio).toBeLessThan(1.1);
    expect(planBatchSplitForMemory(512, 3 * 2 ** 30, R50x1, 128).microBatch).toBe(12);
    const perImage64 = estimateTrainingMemory(arch, 64).bytesPerImage;
    expect(perImage64 / (43.1 * MB)).toBeGreaterThan(1);
    expect(perImage64 / (43.1 * MB)).toBeLessThan(1.1);
  });

  it('grows with the square of the crop and with depth and width', () => {
    const e = (crop: number, a = R50x1) => featureMapElements(a, crop);
    expect(e(256) / e(128)).toBeGreaterThan(3.9);
    expect(e(256) / e(128)).toBeLessThan(4.1);
    expect(e(128, { ...R50x1, units: [3, 4, 23, 3] })).toBeGreaterThan(e(128));
    expect(e(128, { ...R50x1, width: 3 })).toBeGreaterThan(2.9 * e(128));
  });

  it('R50x1 at 128 px, batch 512, in 24 GB: split so that the estimate fits', () => {
    const budget = 0.75 * 24e9;
    const plan = planBatchSplitForMemory(512, budget, R50x1, 128);
    expect(plan.fits).toBe(true);
    expect(plan.numMicroBatches).toBeGreaterThan(1);
    expect(plan.estimatedBytes).toBeLessThanOrEqual(budget);
    expect(plan.microBatchSizes.reduce((a, b) => a + b, 0)).toBe(512);
    // One micro-batch fewer would not fit.
    const fewer = Math.ceil(512 / (plan.numMicroBatches - 1));
    expect(plan.estimate.fixedBytes + fewer * plan.estimate.bytesPerImage).toBeGreaterThan(budget);
    // Unsplit, the batch would need far more than the machine has.
    expect(plan.estimate.fixedBytes + 512 * plan.estimate.bytesPerImage).toBeGreaterThan(24e9);
  });

  it('no split when the whole batch fits; one image per micro-batch when nothing does', () => {
    expect(planBatchSplitForMemory(8, 1e12, R50x1, 128).numMicroBatches).toBe(1);
    const starved = planBatchSplitForMemory(8, 1e6, R50x1, 128);
    expect(starved.fits).toBe(false);
    expect(starved.microBatch).toBe(1);
    expect(starved.numMicroBatches).toBe(8);
  });

  it('refuses bad arguments with HyperRuleErrors', () => {
    expect(() => planBatchSplitForMemory(0, 1e9, R50x1, 128)).toThrow(HyperRuleError);
    expect(() => planBatchSplitForMemory(8, -1, R50x1, 128)).toThrow(HyperRuleError);
    expect(() => featureMapElements({ units: [3, 4, 6], width: 1 }, 128)).toThrow(/units/);
    expect(() => estimateTrainingMemory({ ...R50x1, parameters: 0 }, 128)).toThrow(/parameters/);
  });
});
