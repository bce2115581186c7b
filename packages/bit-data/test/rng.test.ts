import { describe, expect, it } from 'vitest';
import { Rng } from '../src/random/rng';
import { sampleBeta, sampleGamma, sampleMixupLambda } from '../src/random/distributions';

function moments(xs: number[]): { mean: number; variance: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1);
  return { mean, variance };
}

describe('Rng (xoshiro128**)', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = Array.from(
      { length: 50 },
      (
        (r) => () =>
          r.nextUint32()
      )(new Rng(42)),
    );
    const b = Array.from(
      { length: 50 },
      (
        (r) => () =>
          r.nextUint32()
      )(new Rng(42)),
    );
    const c = Array.from(
      { length: 50 },
      (
        (r) => () =>
          r.nextUint32()
      )(new Rng(43)),
    );
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(new Set(a).size).toBe(50);
  });

  it('resumes identically from a saved state (JSON round trip)', () => {
    const r = new Rng(7);
    for (let i = 0; i < 100; i++) r.next();
    const saved = JSON.parse(JSON.stringify(r.getState()));
    const tail = Array.from({ length: 20 }, () => r.next());
    const resumed = Rng.fromState(saved);
    expect(Array.from({ length: 20 }, () => resumed.next())).toEqual(tail);
  });

  it('gives uniform floats and unbiased integers', () => {
    const r = new Rng(1);
    const xs = Array.from({ length: 20000 }, () => r.next());
    const m = moments(xs);
    expect(m.mean).toBeCloseTo(0.5, 2);
    expect(m.variance).toBeCloseTo(1 / 12, 2);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70000; i++) counts[r.nextInt(7)]++;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(400);
  });

  it('rejects bad states', () => {
    expect(() => new Rng(0).setState([0, 0, 0, 0])).toThrow(/state/);
    expect(() => new Rng(0).setState([1, 2, 3])).toThrow(/four uint32/);
  });
});

describe('Gamma and Beta samplers', () => {
  const N = 20000;
  it.each([0.3, 1, 2.5, 7])('Gamma(%f) has mean and variance k', (k) => {
    const r = new Rng(11);
    const m = moments(Array.from({ length: N }, () => sampleGamma(r, k)));
    // Standard errors: mean sqrt(k/N); variance roughly sqrt((mu4 - k^2)/N) with mu4 = 3k^2 + 6k.
    expect(Math.abs(m.mean - k)).toBeLessThan(5 * Math.sqrt(k / N));
    expect(Math.abs(m.variance - k)).toBeLessThan(5 * Math.sqrt((2 * k * k + 6 * k) / N));
  });

  it.each([0.5, 2])('Beta(%f, %f) matches the theoretical mean and variance', (a) => {
    const r = new Rng(5);
    const xs = Array.from({ length: N }, () => sampleBeta(r, a, a));
    const m = moments(xs);
    const variance = 1 / (4 * (2 * a + 1));
    expect(Math.abs(m.mean - 0.5)).toBeLessThan(5 * Math.sqrt(variance / N));
    expect(Math.abs(m.variance - variance) / variance).toBeLessThan(0.04);
    expect(xs.every((x) => x >= 0 && x <= 1)).toBe(true);
  });

  it('Beta(2, 5) (asymmetric) has mean a/(a+b)', () => {
    const r = new Rng(6);
    const m = moments(Array.from({ length: N }, () => sampleBeta(r, 2, 5)));
    expect(m.mean).toBeCloseTo(2 / 7, 2);
    expect(m.variance).toBeCloseTo((2 * 5) / (49 * 8), 3);
  });

  it('MixUp lambda for alpha = 0.1: mean 0.5, most mass near 0 and 1', () => {
    const r = new Rng(2024);
    const xs = Array.from({ length: N }, () => sampleMixupLambda(r, 0.1));
    const m = moments(xs);
    expect(Math.abs(m.mean - 0.5)).toBeLessThan(0.02);
    expect(Math.abs(m.variance - 1 / (4 * 1.2))).toBeLessThan(0.01);
    const edge = xs.filter((x) => x < 0.05 || x > 0.95).length / N;
    expect(edge).toBeGreaterThan(0.7);
    // Symmetric: as many near 0 as near 1.
    const low = xs.filter((x) => x < 0.05).length;
    const high = xs.filter((x) => x > 0.95).length;
    expect(Math.abs(low - high) / N).toBeLessThan(0.03);
  });

  it('alpha <= 0 means no MixUp (lambda 1); bad shapes throw', () => {
    expect(sampleMixupLambda(new Rng(0), 0)).toBe(1);
    expect(() => sampleGamma(new Rng(0), 0)).toThrow(/shape/);
    expect(() => sampleGamma(new Rng(0), Number.NaN)).toThrow(/shape/);
  });
});
