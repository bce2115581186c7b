/**
 * Float64 plain-JS references for the tests: seeded random data, GroupNorm,
 * Weight Standardisation, NHWC convolution and error measures.
 */
import { seeded } from '../../../test-utils/seeded';

/** Seeded generator of normal samples (mulberry32 + Box-Muller). */
export function randomNormal(count: number, seed: number, mean = 0, std = 1): Float32Array {
  const uniform = seeded(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const u = uniform() || 1e-12;
    out[i] = mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  }
  return out;
}

/** Product of a shape's dimensions. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Relative L2 error of `actual` against `expected`. */
export function relL2(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length)
    throw new Error(`length ${actual.length} != ${expected.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < expected.length; i++) {
    num += (actual[i] - expected[i]) ** 2;
    den += expected[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** GroupNorm of a channels-last array in float64. */
export function refGroupNorm(
  x: ArrayLike<number>,
  shape: readonly number[],
  groups: number,
  eps: number,
  gamma?: ArrayLike<number> | null,
  beta?: ArrayLike<number> | null,
): Float64Array {
  const n = shape[0];
  const c = shape[shape.length - 1];
  const spatial = sizeOf(shape) / n / c;
  const cg = c / groups;
  const y = new Float64Array(sizeOf(shape));
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < groups; g++) {
      const idx: number[] = [];
      for (let s = 0; s < spatial; s++)
        for (let k = 0; k < cg; k++) idx.push((b * spatial + s) * c + g * cg + k);
      let mean = 0;
      for (const i of idx) mean += x[i];
      mean /= idx.length;
      let variance = 0;
      for (const i of idx) variance += (x[i] - mean) ** 2;
      variance /= idx.length;
      const inv = 1 / Math.sqrt(variance + eps);
      for (const i of idx) {
        const ch = i % c;
        y[i] = (x[i] - mean) * inv * (gamma ? gamma[ch] : 1) + (beta ? beta[ch] : 0);
      }
    }
  }
  return y;
}

/** Weight Standardisation (per last-axis channel, population variance) in float64. */
export function refStandardize(
  k: ArrayLike<number>,
  shape: readonly number[],
  eps: number,
): Float64Array {
  const out = shape[shape.length - 1];
  const count = sizeOf(shape) / out;
  const y = new Float64Array(k.length);
  for (let o = 0; o < out; o++) {
    let mean = 0;
    for (let i = o; i < k.length; i += out) mean += k[i];
    mean /= count;
    let variance = 0;
    for (let i = o; i < k.length; i += out) variance += (k[i] - mean) ** 2;
    variance /= count;
    for (let i = o; i < k.length; i += out) y[i] = (k[i] - mean) / Math.sqrt(variance + eps);
  }
  return y;
}

/** Padding of {@link refConv2d}: 'valid', 'same' (TensorFlow's rule) or symmetric size. */
export type RefPadding = 'valid' | 'same' | number;

/** NHWC x HWIO convolution in float64; returns the output and its shape. */
export function refConv2d(
  x: ArrayLike<number>,
  xShape: readonly number[],
  k: ArrayLike<number>,
  kShape: readonly number[],
  strides: [number, number],
  padding: RefPadding,
  dilations: [number, number] = [1, 1],
  bias?: ArrayLike<number>,
): { out: Float64Array; shape: number[] } {
  const [n, h, w, cin] = xShape;
  const [kh, kw, , cout] = kShape;
  const span = [(kh - 1) * dilations[0] + 1, (kw - 1) * dilations[1] + 1];
  const outSize: number[] = [];
  const padBefore: number[] = [];
  [h, w].forEach((size, i) => {
    if (padding === 'same') {
      const o = Math.ceil(size / strides[i]);
      const total = Math.max((o - 1) * strides[i] + span[i] - size, 0);
      outSize.push(o);
      padBefore.push(Math.floor(total / 2));
    } else {
      const p = padding === 'valid' ? 0 : padding;
      outSize.push(Math.floor((size + 2 * p - span[i]) / strides[i]) + 1);
      padBefore.push(p);
    }
  });
  const [oh, ow] = outSize;
  const out = new Float64Array(n * oh * ow * cout);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < oh; y++)
      for (let xx = 0; xx < ow; xx++)
        for (let o = 0; o < cout; o++) {
          let acc = bias ? bias[o] : 0;
          for (let i = 0; i < kh; i++) {
            const iy = y * strides[0] + i * dilations[0] - padBefore[0];
            if (iy < 0 || iy >= h) continue;
            for (let j = 0; j < kw; j++) {
              const ix = xx * strides[1] + j * dilations[1] - padBefore[1];
              if (ix < 0 || ix >= w) continue;
              for (let c = 0; c < cin; c++) {
                acc +=
                  x[((b * h + iy) * w + ix) * cin + c] * k[((i * kw + j) * cin + c) * cout + o];
              }
            }
          }
          out[((b * oh + y) * ow + xx) * cout + o] = acc;
        }
  return { out, shape: [n, oh, ow, cout] };
}

/** Dot product in float64. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Central finite-difference gradient in float64 of a scalar function of a
 * flat array, element by element.
 */
export function finiteDifferenceGradient(
  f: (v: Float64Array) => number,
  at: ArrayLike<number>,
  h = 1e-5,
): Float64Array {
  const v = Float64Array.from(at);
  const grad = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const keep = v[i];
    v[i] = keep + h;
    const up = f(v);
    v[i] = keep - h;
    const down = f(v);
    v[i] = keep;
    grad[i] = (up - down) / (2 * h);
  }
  return grad;
}
