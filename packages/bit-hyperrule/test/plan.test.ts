import { describe, expect, it } from 'vitest';
import {
  getSchedule,
  hyperRule,
  HYPERRULE_SCHEDULES,
  lrForPlan,
  scaleSchedule,
} from '../src/index';

/** Independent reference of the official get_lr body applied to any schedule. */
function refLr(step: number, supports: readonly number[], base: number): number | null {
  if (step < supports[0]) return (base * step) / supports[0];
  if (step >= supports[supports.length - 1]) return null;
  let lr = base;
  for (const s of supports.slice(1)) if (s < step) lr /= 10;
  return lr;
}

const OFFICIAL = [
  HYPERRULE_SCHEDULES.small,
  HYPERRULE_SCHEDULES.medium,
  HYPERRULE_SCHEDULES.large,
].map((s) => [...s]);

describe('scaleSchedule', () => {
  it('is strictly increasing, >= 1 and ends at steps for every steps in 5..3000 and more', () => {
    const stepsList = [
      ...Array.from({ length: 2996 }, (_, i) => i + 5),
      9999,
      10_000,
      20_000,
      40_001,
      1e6,
    ];
    const problems: string[] = [];
    for (const sched of OFFICIAL) {
      for (const steps of stepsList) {
        const s = scaleSchedule(sched, steps);
        const ok =
          s.length === sched.length &&
          s[0] >= 1 &&
          s.every((b, i) => Number.isInteger(b) && (i === 0 || b > s[i - 1])) &&
          s[s.length - 1] === steps;
        if (!ok) problems.push(`${JSON.stringify(sched)} @ ${steps} -> ${JSON.stringify(s)}`);
      }
    }
    expect(problems).toEqual([]);
  });
  it('is the rounded proportional schedule when there is room', () => {
    for (const sched of OFFICIAL) {
      const last = sched[sched.length - 1];
      for (const steps of [50, 100, 250, 333, 1000, 1234, 4321, 50_000]) {
        const expected = sched.map((b) => Math.round((b * steps) / last));
        const ok = expected.every((b, i) => b >= 1 && (i === 0 || b > expected[i - 1]));
        if (!ok) continue;
        expect(scaleSchedule(sched, steps)).toEqual(expected);
      }
    }
    expect(scaleSchedule([100, 200, 300, 400, 500], 50)).toEqual([10, 20, 30, 40, 50]);
    expect(scaleSchedule([500, 3000, 6000, 9000, 10_000], 100)).toEqual([5, 30, 60, 90, 100]);
  });
  it('stays close to proportional: each boundary within its rounding or the minimum gaps', () => {
    for (const sched of OFFICIAL) {
      const last = sched[sched.length - 1];
      for (let steps = 5; steps <= 400; steps++) {
        const s = scaleSchedule(sched, steps);
        s.forEach((b, i) => {
          const ideal = (sched[i] * steps) / last;
          expect(Math.abs(b - ideal)).toBeLessThanOrEqual(0.5 + sched.length);
        });
      }
    }
  });
  it('squeezes to [1..n] at the minimum and is the identity at steps = last', () => {
    expect(scaleSchedule([500, 6000, 12_000, 18_000, 20_000], 5)).toEqual([1, 2, 3, 4, 5]);
    expect(scaleSchedule([500, 6000, 12_000, 18_000, 20_000], 6)).toEqual([1, 2, 4, 5, 6]);
    for (const sched of OFFICIAL)
      expect(scaleSchedule(sched, sched[sched.length - 1])).toEqual(sched);
  });
  it('does not modify its input', () => {
    const input = [100, 200, 300, 400, 500];
    scaleSchedule(input, 7);
    expect(input).toEqual([100, 200, 300, 400, 500]);
  });
});

describe('hyperRule', () => {
  it('assembles the official plan', () => {
    const plan = hyperRule({ datasetSize: 50_000, imageSize: [32, 32] });
    expect(plan).toEqual({
      precrop: 160,
      crop: 128,
      mixupAlpha: 0.1,
      schedule: getSchedule(50_000),
      officialSchedule: getSchedule(50_000),
      baseLr: 0.003,
      batchSize: 512,
      momentum: 0.9,
      weightDecay: 0,
      totalSteps: 10_000,
      datasetSize: 50_000,
      imageSize: [32, 32],
      scaled: false,
    });
    const big = hyperRule({
      datasetSize: 1000,
      imageSize: [224, 300],
      batchSize: 64,
      baseLr: 0.001,
    });
    expect(big).toMatchObject({
      precrop: 512,
      crop: 480,
      mixupAlpha: 0,
      batchSize: 64,
      baseLr: 0.001,
    });
    expect(big.totalSteps).toBe(500);
  });
  it('lrForPlan on an official plan equals the official lr at every step', () => {
    for (const n of [100, 20_000]) {
      const plan = hyperRule({ datasetSize: n, imageSize: [64, 64], baseLr: 0.02 });
      for (let step = 0; step <= plan.totalSteps + 2; step++) {
        expect(lrForPlan(plan, step)).toBe(refLr(step, getSchedule(n), 0.02));
      }
    }
  });
  it('scaled plans: warm-up from 0, staircase, null exactly at steps, as many updates as steps', () => {
    for (const n of [10, 30_000, 600_000]) {
      for (const steps of [5, 6, 13, 40, 100, 777]) {
        const plan = hyperRule({ datasetSize: n, imageSize: [32, 32], steps });
        expect(plan.totalSteps).toBe(steps);
        expect(plan.schedule[plan.schedule.length - 1]).toBe(steps);
        expect(plan.scaled).toBe(steps !== plan.officialSchedule[4]);
        expect(lrForPlan(plan, 0)).toBe(0);
        expect(lrForPlan(plan, steps)).toBeNull();
        expect(lrForPlan(plan, steps + 1)).toBeNull();
        let updates = 0;
        let prev = -Infinity;
        for (let step = 0; ; step++) {
          const lr = lrForPlan(plan, step);
          expect(lr).toBe(refLr(step, plan.schedule, plan.baseLr));
          if (lr === null) break;
          if (step <= plan.schedule[0])
            expect(lr).toBeGreaterThan(prev); // warm-up rises
          else expect(lr).toBeLessThanOrEqual(prev); // then never rises
          prev = lr;
          updates++;
        }
        expect(updates).toBe(steps);
      }
    }
  });
  it('steps equal to the official length is not scaled', () => {
    const plan = hyperRule({ datasetSize: 10, imageSize: [8, 8], steps: 500 });
    expect(plan.scaled).toBe(false);
    expect(plan.schedule).toEqual([100, 200, 300, 400, 500]);
  });
  it('plans do not share arrays with each other or the options', () => {
    const imageSize: [number, number] = [32, 32];
    const a = hyperRule({ datasetSize: 10, imageSize });
    a.schedule[0] = 1;
    a.imageSize[0] = 1;
    expect(hyperRule({ datasetSize: 10, imageSize }).schedule[0]).toBe(100);
    expect(imageSize[0]).toBe(32);
    expect(HYPERRULE_SCHEDULES.small[0]).toBe(100);
  });
});
