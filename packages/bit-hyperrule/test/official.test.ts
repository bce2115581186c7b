import { describe, expect, it } from 'vitest';
import {
  getLr,
  getMixup,
  getResolution,
  getResolutionFromDataset,
  getSchedule,
  HYPERRULE_DEFAULTS,
  lrFromSchedule,
} from '../src/index';

// A line-by-line transcription of the official google-research/big_transfer bit_hyperrule.py,
// kept deliberately naive (no shared code with the package).
const py = {
  get_resolution(original: [number, number]): [number, number] {
    const area = original[0] * original[1];
    return area < 96 * 96 ? [160, 128] : [512, 480];
  },
  get_mixup(dataset_size: number): number {
    return dataset_size < 20_000 ? 0.0 : 0.1;
  },
  get_schedule(dataset_size: number): number[] {
    if (dataset_size < 20_000) return [100, 200, 300, 400, 500];
    else if (dataset_size < 500_000) return [500, 3000, 6000, 9000, 10_000];
    else return [500, 6000, 12_000, 18_000, 20_000];
  },
  get_lr(step: number, dataset_size: number, base_lr = 0.003): number | null {
    const supports = py.get_schedule(dataset_size);
    if (step < supports[0]) return (base_lr * step) / supports[0];
    else if (step >= supports[supports.length - 1]) return null;
    else {
      for (const s of supports.slice(1)) {
        if (s < step) base_lr /= 10;
      }
      return base_lr;
    }
  },
};

const DATASET_SIZES = [
  0, 1, 2, 1000, 19_998, 19_999, 20_000, 20_001, 100_000, 499_999, 500_000, 500_001, 1_281_167,
  14_000_000,
];

/** Every step from 0 to last + 2 would be 20k+ steps; take each boundary b-1, b, b+1 plus a sweep. */
function stepGrid(schedule: number[]): number[] {
  const last = schedule[schedule.length - 1];
  const steps = new Set<number>([0, 1, 2, last + 1, last + 2]);
  for (const b of schedule) for (const d of [-2, -1, 0, 1, 2]) if (b + d >= 0) steps.add(b + d);
  for (let s = 0; s <= last + 2; s += 37) steps.add(s);
  return [...steps].sort((a, b) => a - b);
}

describe('getSchedule', () => {
  it('matches the official get_schedule around every size boundary', () => {
    for (const n of DATASET_SIZES) expect(getSchedule(n)).toEqual(py.get_schedule(n));
  });
  it('switches exactly at 20_000 and 500_000', () => {
    expect(getSchedule(19_999)[4]).toBe(500);
    expect(getSchedule(20_000)[4]).toBe(10_000);
    expect(getSchedule(499_999)[4]).toBe(10_000);
    expect(getSchedule(500_000)[4]).toBe(20_000);
  });
  it('returns a fresh array each call', () => {
    const a = getSchedule(10);
    a[0] = -1;
    expect(getSchedule(10)[0]).toBe(100);
  });
});

describe('getMixup', () => {
  it('matches the official get_mixup around 20k', () => {
    for (const n of DATASET_SIZES) expect(getMixup(n)).toBe(py.get_mixup(n));
    expect(getMixup(19_999)).toBe(0);
    expect(getMixup(20_000)).toBe(0.1);
  });
});

describe('getResolution', () => {
  const sizes: [number, number][] = [
    [1, 1],
    [32, 32],
    [95, 97],
    [97, 95],
    [96, 95],
    [95, 96],
    [96, 96],
    [97, 96],
    [1, 9215],
    [1, 9216],
    [9216, 1],
    [48, 192],
    [224, 224],
    [500, 375],
    [28, 28],
    [4000, 3000],
  ];
  it('matches the official get_resolution around 96*96', () => {
    for (const s of sizes) {
      const [precrop, crop] = py.get_resolution(s);
      expect(getResolution(s)).toEqual({ precrop, crop });
    }
  });
  it('treats area 9215 as small and 9216 as large', () => {
    expect(getResolution([95, 97])).toEqual({ precrop: 160, crop: 128 });
    expect(getResolution([96, 96])).toEqual({ precrop: 512, crop: 480 });
  });
  it('resolves the official known datasets', () => {
    expect(getResolutionFromDataset('cifar10')).toEqual({ precrop: 160, crop: 128 });
    expect(getResolutionFromDataset('oxford_iiit_pet')).toEqual({ precrop: 512, crop: 480 });
  });
});

describe('getLr', () => {
  it('matches the official get_lr exactly on a grid of steps and dataset sizes', () => {
    let checked = 0;
    for (const n of DATASET_SIZES) {
      for (const step of stepGrid(py.get_schedule(n))) {
        expect(getLr(step, n)).toBe(py.get_lr(step, n));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });
  it('matches every single step of the small schedule, with several base rates', () => {
    for (const base of [0.003, 0.001, 0.1, 1, 7e-5]) {
      for (let step = 0; step <= 502; step++) {
        expect(getLr(step, 5000, base)).toBe(py.get_lr(step, 5000, base));
      }
    }
  });
  it('warms up from 0, reaches base at s0, decays only after each boundary, stops at the end', () => {
    const base = HYPERRULE_DEFAULTS.baseLr;
    expect(getLr(0, 100)).toBe(0);
    expect(getLr(50, 100)).toBeCloseTo(base / 2, 15);
    expect(getLr(100, 100)).toBe(base);
    expect(getLr(200, 100)).toBe(base); // boundary 200 is not < 200
    expect(getLr(201, 100)).toBe(base / 10);
    expect(getLr(499, 100)).toBe(base / 10 / 10 / 10);
    expect(getLr(500, 100)).toBeNull();
    expect(getLr(10_000, 20_000)).toBeNull();
    expect(getLr(9_999, 20_000)).toBe(base / 10 / 10 / 10);
  });
  it('lrFromSchedule with the official schedule equals getLr', () => {
    for (const n of [10, 20_000, 500_000]) {
      const s = py.get_schedule(n);
      for (const step of stepGrid(s))
        expect(lrFromSchedule(step, s, 0.01)).toBe(py.get_lr(step, n, 0.01));
    }
  });
});
