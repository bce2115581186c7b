import { describe, expect, it } from 'vitest';
import {
  getLr,
  getMixup,
  getResolution,
  getResolutionFromDataset,
  getSchedule,
  hyperRule,
  HyperRuleError,
  lrForPlan,
  lrFromSchedule,
  planBatchSplit,
  planBatchSplitByCount,
  scaleSchedule,
} from '../src/index';

const BAD_COUNTS: unknown[] = [
  -1,
  -3,
  1.5,
  NaN,
  Infinity,
  -Infinity,
  '10',
  null,
  undefined,
  2 ** 60,
];
const BAD_POSITIVE: unknown[] = [0, ...BAD_COUNTS];
const BAD_LR: unknown[] = [0, -0.1, NaN, Infinity, -Infinity, '0.1', null];
const BAD_IMAGE: unknown[] = [
  [32],
  [32, 32, 3],
  [0, 32],
  [32, -1],
  [32.5, 32],
  [NaN, 32],
  [32, Infinity],
  '32x32',
  null,
  [],
  ['32', 32],
];
const BAD_SCHEDULE: unknown[] = [[], [0, 1], [2, 2], [3, 2], [1.5, 3], [1, NaN], 'abc', null];

function expectRangeError(fn: () => unknown, prefix: string, why: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(RangeError);
  expect(caught).toBeInstanceOf(HyperRuleError);
  const err = caught as HyperRuleError;
  expect(err.name).toBe('HyperRuleError');
  expect(err.message.startsWith(prefix)).toBe(true);
  expect(err.message).toMatch(why);
}

describe('argument validation', () => {
  it('names the argument and the value', () => {
    expect(() => getSchedule(-3)).toThrow(
      'getSchedule: datasetSize must be a non-negative integer, got -3',
    );
    expect(() => getResolution([95, 0])).toThrow(
      'getResolution: imageSize must be a pair [height, width] of positive integers, got [95, 0]',
    );
  });

  it('rejects bad dataset sizes everywhere', () => {
    for (const v of BAD_COUNTS) {
      const n = v as number;
      expectRangeError(() => getSchedule(n), 'getSchedule: datasetSize ', /non-negative integer/);
      expectRangeError(() => getMixup(n), 'getMixup: datasetSize ', /non-negative integer/);
      expectRangeError(() => getLr(0, n), 'getLr: datasetSize ', /non-negative integer/);
      expectRangeError(
        () => hyperRule({ datasetSize: n, imageSize: [32, 32] }),
        'hyperRule: datasetSize ',
        /non-negative integer/,
      );
    }
  });

  it('rejects bad steps but accepts step 0', () => {
    for (const v of BAD_COUNTS) {
      const s = v as number;
      expectRangeError(() => getLr(s, 10), 'getLr: step ', /non-negative integer/);
      expectRangeError(() => lrFromSchedule(s, [1, 2]), 'lrFromSchedule: step ', /non-negative/);
      expectRangeError(
        () => lrForPlan({ schedule: [1, 2], baseLr: 1 }, s),
        'lrForPlan: step ',
        /non-negative/,
      );
    }
    expect(getLr(0, 10)).toBe(0);
  });

  it('rejects bad base learning rates', () => {
    for (const v of BAD_LR) {
      const lr = v as number;
      expectRangeError(() => getLr(1, 10, lr), 'getLr: baseLr ', /finite number greater than 0/);
      expectRangeError(
        () => lrFromSchedule(1, [5], lr),
        'lrFromSchedule: baseLr ',
        /greater than 0/,
      );
      expectRangeError(
        () => hyperRule({ datasetSize: 1, imageSize: [2, 2], baseLr: lr }),
        'hyperRule: baseLr ',
        /greater than 0/,
      );
      expectRangeError(
        () => lrForPlan({ schedule: [5], baseLr: lr }, 1),
        'lrForPlan: plan.baseLr ',
        /greater than 0/,
      );
    }
  });

  it('rejects image sizes that are not a pair of positive integers', () => {
    for (const v of BAD_IMAGE) {
      const im = v as [number, number];
      expectRangeError(
        () => getResolution(im),
        'getResolution: imageSize ',
        /pair \[height, width\]/,
      );
      expectRangeError(
        () => hyperRule({ datasetSize: 1, imageSize: im }),
        'hyperRule: imageSize ',
        /pair/,
      );
    }
    expectRangeError(
      () => getResolutionFromDataset('mnist'),
      'getResolutionFromDataset: dataset ',
      /"mnist"/,
    );
    expectRangeError(
      () => getResolutionFromDataset('toString'),
      'getResolutionFromDataset: dataset ',
      /cifar10/,
    );
  });

  it('rejects bad schedules and too few steps', () => {
    for (const v of BAD_SCHEDULE) {
      const s = v as number[];
      expectRangeError(
        () => scaleSchedule(s, 10),
        'scaleSchedule: schedule ',
        /strictly increasing/,
      );
      expectRangeError(
        () => lrFromSchedule(1, s),
        'lrFromSchedule: schedule ',
        /strictly increasing/,
      );
      expectRangeError(
        () => lrForPlan({ schedule: s, baseLr: 1 }, 1),
        'lrForPlan: plan.schedule ',
        /strictly increasing/,
      );
    }
    for (const v of BAD_POSITIVE) {
      expectRangeError(
        () => scaleSchedule([1, 2], v as number),
        'scaleSchedule: steps ',
        /positive integer/,
      );
      if (v === undefined) continue; // optional: undefined means the official schedule
      expectRangeError(
        () => hyperRule({ datasetSize: 1, imageSize: [2, 2], steps: v as number }),
        'hyperRule: steps ',
        /positive integer/,
      );
    }
    expectRangeError(
      () => scaleSchedule([1, 2, 3], 2),
      'scaleSchedule: steps ',
      /at least .*3.*got 2/,
    );
    expectRangeError(
      () => hyperRule({ datasetSize: 1, imageSize: [2, 2], steps: 4 }),
      'hyperRule: steps ',
      /at least 5/,
    );
    expectRangeError(() => lrForPlan(null as never, 1), 'lrForPlan: plan ', /object/);
    expectRangeError(() => hyperRule(null as never), 'hyperRule: options ', /object/);
  });

  it('rejects bad batch sizes and micro-batch bounds', () => {
    for (const v of BAD_POSITIVE) {
      const n = v as number;
      expectRangeError(
        () => planBatchSplit(n, 4),
        'planBatchSplit: batchSize ',
        /positive integer/,
      );
      expectRangeError(
        () => planBatchSplit(8, n),
        'planBatchSplit: maxMicroBatch ',
        /positive integer/,
      );
      expectRangeError(
        () => planBatchSplitByCount(n, 1),
        'planBatchSplitByCount: batchSize ',
        /positive/,
      );
      expectRangeError(
        () => planBatchSplitByCount(8, n),
        'planBatchSplitByCount: numMicroBatches ',
        /positive integer/,
      );
      if (v === undefined) continue; // optional: undefined means the default 512
      expectRangeError(
        () => hyperRule({ datasetSize: 1, imageSize: [2, 2], batchSize: n }),
        'hyperRule: batchSize ',
        /positive integer/,
      );
    }
    expectRangeError(
      () => planBatchSplitByCount(4, 5),
      'planBatchSplitByCount: numMicroBatches ',
      /at most batchSize \(4\)/,
    );
  });
});
