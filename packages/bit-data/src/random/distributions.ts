/**
 * Gamma and Beta samplers on the seeded Rng (no dependencies).
 * Gamma: Marsaglia & Tsang (2000) for shape >= 1; for shape < 1 the boost
 * Gamma(a) = Gamma(a + 1) * U^(1/a). Beta(a, b) = X / (X + Y), X ~ Gamma(a), Y ~ Gamma(b),
 * computed in log space so tiny shapes (alpha = 0.1 draws very close to 0 and 1) stay exact.
 */
import { DataArgumentError } from '../errors';
import type { Rng } from './rng';

/** log of a Gamma(shape, 1) draw. Works for any shape > 0 without underflow. */
export function sampleLogGamma(rng: Rng, shape: number): number {
  if (!(shape > 0) || !Number.isFinite(shape)) {
    throw new DataArgumentError(`sampleGamma: shape must be a finite number > 0, got ${shape}`);
  }
  if (shape < 1) {
    // Boost: Gamma(a) = Gamma(a + 1) * U^(1/a).
    return sampleLogGamma(rng, shape + 1) + Math.log(rng.nextOpen()) / shape;
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.nextNormal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.nextOpen();
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return Math.log(d * v);
    if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return Math.log(d * v);
  }
}

/** A Gamma(shape, 1) draw (Marsaglia-Tsang, with the shape < 1 boost). */
export function sampleGamma(rng: Rng, shape: number): number {
  return Math.exp(sampleLogGamma(rng, shape));
}

/** A Beta(a, b) draw through two Gamma draws. */
export function sampleBeta(rng: Rng, a: number, b: number): number {
  const lx = sampleLogGamma(rng, a);
  const ly = sampleLogGamma(rng, b);
  // x / (x + y) = 1 / (1 + exp(ly - lx)), stable for any magnitudes.
  const t = ly - lx;
  return t > 0 ? Math.exp(-t) / (1 + Math.exp(-t)) : 1 / (1 + Math.exp(t));
}

/**
 * The MixUp coefficient: lambda ~ Beta(alpha, alpha), drawn once per optimizer step.
 * alpha <= 0 means no MixUp and gives 1.
 */
export function sampleMixupLambda(rng: Rng, alpha: number): number {
  if (!Number.isFinite(alpha))
    throw new DataArgumentError(`MixUp alpha must be finite, got ${alpha}`);
  if (alpha <= 0) return 1;
  return sampleBeta(rng, alpha, alpha);
}
