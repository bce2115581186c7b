/**
 * Every gradient full BiT fine-tuning uses, on wasm (with the training kernels registered)
 * against cpu and, for convolutions and max pooling, against float64 references in plain JS.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../src/kernels/register';
import { tf, useBackend, type BackendName } from '../../../test-utils/backends';
import { seeded } from '../../../test-utils/seeded';

/** A deterministic standard-normal-ish generator (mulberry32 + Box-Muller). */
function seededNormal(seed: number): () => number {
  const uniform = seeded(seed);
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** An input of a test function: shape and values. */
interface Arg {
  shape: number[];
  values: Float32Array;
}

/** `shape`-sized values from `seededNormal(seed)`, mapped by `map` if given. */
function arg(shape: number[], seed: number, map: (v: number) => number = (v) => v): Arg {
  const next = seededNormal(seed);
  const values = new Float32Array(shape.reduce((p, d) => p * d, 1));
  for (let i = 0; i < values.length; i++) values[i] = map(next());
  return { shape, values };
}

/** Gradients of the scalar `f` with respect to every argument, computed on `backend`. */
async function gradsOn(
  backend: BackendName,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  args: Arg[],
): Promise<Float32Array[]> {
  await useBackend(backend);
  const xs = args.map((a) => tf.tensor(a.values, a.shape, 'float32'));
  const gs = tf.grads((...ts: tf.Tensor[]) => f(...ts))(xs);
  const out = gs.map((g) => g.dataSync() as Float32Array);
  tf.dispose([...xs, ...gs]);
  return out;
}

/** Value of `f` on `backend`. */
async function valueOn(
  backend: BackendName,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  args: Arg[],
): Promise<Float32Array> {
  await useBackend(backend);
  const xs = args.map((a) => tf.tensor(a.values, a.shape, 'float32'));
  const y = tf.tidy(() => f(...xs));
  const out = y.dataSync() as Float32Array;
  tf.dispose([...xs, y]);
  return out;
}

/** ||a - b|| / ||b|| (float64). */
function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  if (den === 0) return num === 0 ? 0 : Infinity;
  return Math.sqrt(num / den);
}

/** Euclidean norm, to make sure a compared gradient is not trivially zero. */
function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] ** 2;
  return Math.sqrt(s);
}

type Pad = 'same' | 'valid' | number | number[][];
type Strides = number | [number, number];

/** Geometry of a conv as tfjs defines it (pads included). */
function convGeometry(xShape: number[], wShape: number[], strides: Strides, pad: Pad) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    wShape as [number, number, number, number],
    strides,
    1,
    pad as 'same',
  );
}

/** float64 reference: dL/dx and dL/dw of L = sum(conv2d(x, w) * r). */
function convGradsReference(x: Arg, w: Arg, r: Arg, strides: Strides, pad: Pad) {
  const g = convGeometry(x.shape, w.shape, strides, pad);
  const [n, h, wd, ci] = x.shape;
  const [kh, kw, , co] = w.shape;
  const dx = new Float64Array(x.values.length);
  const dw = new Float64Array(w.values.length);
  for (let b = 0; b < n; b++)
    for (let yr = 0; yr < g.outHeight; yr++)
      for (let yc = 0; yc < g.outWidth; yc++)
        for (let i = 0; i < kh; i++) {
          const xr = yr * g.strideHeight - g.padInfo.top + i;
          if (xr < 0 || xr >= h) continue;
          for (let j = 0; j < kw; j++) {
            const xc = yc * g.strideWidth - g.padInfo.left + j;
            if (xc < 0 || xc >= wd) continue;
            for (let c = 0; c < ci; c++) {
              const xi = ((b * h + xr) * wd + xc) * ci + c;
              for (let o = 0; o < co; o++) {
                const dyv = r.values[((b * g.outHeight + yr) * g.outWidth + yc) * co + o];
                const wi = ((i * kw + j) * ci + c) * co + o;
                dw[wi] += x.values[xi] * dyv;
                dx[xi] += w.values[wi] * dyv;
              }
            }
          }
        }
  return { dx, dw, outShape: g.outShape };
}

/** float64 reference: dL/dx of L = sum(maxPool(x) * r), first arg-max of each window. */
function maxPoolGradReference(x: Arg, r: Arg, size: number, stride: number, pad: Pad) {
  const g = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    size,
    stride,
    1,
    pad as 'same',
  );
  const [n, h, w, c] = x.shape;
  const dx = new Float64Array(x.values.length);
  for (let b = 0; b < n; b++)
    for (let yr = 0; yr < g.outHeight; yr++)
      for (let yc = 0; yc < g.outWidth; yc++)
        for (let d = 0; d < c; d++) {
          let best = -Infinity;
          let at = -1;
          for (let i = 0; i < size; i++)
            for (let j = 0; j < size; j++) {
              const xr = yr * stride - g.padInfo.top + i;
              const xc = yc * stride - g.padInfo.left + j;
              if (xr < 0 || xr >= h || xc < 0 || xc >= w) continue;
              const k = ((b * h + xr) * w + xc) * c + d;
              if (x.values[k] > best) {
                best = x.values[k];
                at = k;
              }
            }
          dx[at] += r.values[((b * g.outHeight + yr) * g.outWidth + yc) * c + d];
        }
  return dx;
}

/** Gradients on cpu and wasm (after registration) of the same function and inputs. */
async function onBoth(f: (...xs: tf.Tensor[]) => tf.Tensor, args: Arg[]) {
  const cpu = await gradsOn('cpu', f, args);
  const wasm = await gradsOn('wasm', f, args);
  return { cpu, wasm };
}

/** Asserts wasm matches cpu (rel L2 < 1e-4) for every gradient, none of them zero. */
async function expectWasmMatchesCpu(f: (...xs: tf.Tensor[]) => tf.Tensor, args: Arg[]) {
  const { cpu, wasm } = await onBoth(f, args);
  expect(wasm.length).toBe(cpu.length);
  for (let i = 0; i < cpu.length; i++) {
    expect(norm(cpu[i])).toBeGreaterThan(0);
    expect(relL2(wasm[i], cpu[i])).toBeLessThan(1e-4);
  }
  return { cpu, wasm };
}

beforeAll(async () => {
  await useBackend('wasm');
  registerWasmTrainingKernels();
});

const CONV_CASES: Array<[string, number[], number[], Strides, Pad]> = [
  ['1x1 s1 valid', [2, 5, 7, 6], [1, 1, 6, 4], 1, 'valid'],
  ['1x1 s1 same', [2, 5, 7, 6], [1, 1, 6, 4], 1, 'same'],
  ['1x1 s2 valid, odd sizes', [2, 7, 5, 6], [1, 1, 6, 4], 2, 'valid'],
  ['1x1 s2 same, even sizes', [3, 8, 6, 5], [1, 1, 5, 4], 2, 'same'],
  ['3x3 s1 same', [2, 9, 7, 3], [3, 3, 3, 4], 1, 'same'],
  ['3x3 s1 pad 1', [2, 9, 7, 3], [3, 3, 3, 4], 1, 1],
  ['3x3 s1 valid', [2, 9, 7, 3], [3, 3, 3, 4], 1, 'valid'],
  ['3x3 s1 same, many positions', [2, 24, 23, 3], [3, 3, 3, 2], 1, 'same'],
  ['3x3 s2 same, odd sizes', [3, 9, 7, 4], [3, 3, 4, 5], 2, 'same'],
  ['3x3 s2 same, even sizes', [2, 10, 8, 4], [3, 3, 4, 5], 2, 'same'],
  ['3x3 s2 pad 1', [2, 10, 7, 3], [3, 3, 3, 4], 2, 1],
  [
    '3x3 s2 explicit 1',
    [2, 9, 8, 3],
    [3, 3, 3, 4],
    2,
    [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  ],
  [
    '3x3 s2 explicit asymmetric',
    [2, 9, 8, 3],
    [3, 3, 3, 4],
    2,
    [
      [0, 0],
      [0, 2],
      [2, 1],
      [0, 0],
    ],
  ],
  ['3x3 s2 valid with remainder', [2, 10, 8, 3], [3, 3, 3, 4], 2, 'valid'],
  ['3x3 strides [2, 1] same', [2, 9, 8, 3], [3, 3, 3, 4], [2, 1], 'same'],
  [
    '7x7 s2 explicit 3 (root)',
    [2, 15, 13, 3],
    [7, 7, 3, 5],
    2,
    [
      [0, 0],
      [3, 3],
      [3, 3],
      [0, 0],
    ],
  ],
];

describe('conv2d gradients on wasm', () => {
  it.each(CONV_CASES)('%s: dx and dw match cpu and float64', async (_name, xs, ws, s, pad) => {
    const x = arg(xs, 1);
    const w = arg(ws, 2);
    const r = arg(convGeometry(xs, ws, s, pad).outShape, 3);
    const f = (xt: tf.Tensor, wt: tf.Tensor) =>
      tf.sum(
        tf.mul(
          tf.conv2d(xt as tf.Tensor4D, wt as tf.Tensor4D, s, pad as 'same'),
          tf.tensor(r.values, r.shape),
        ),
      );
    const { cpu, wasm } = await expectWasmMatchesCpu(f, [x, w]);
    const ref = convGradsReference(x, w, r, s, pad);
    expect(relL2(wasm[0], ref.dx)).toBeLessThan(1e-5);
    expect(relL2(wasm[1], ref.dw)).toBeLessThan(1e-5);
    expect(relL2(cpu[1], ref.dw)).toBeLessThan(1e-5);
  });
});

/** Non-positive values on a coarse grid: many ties, many zeros. */
const negativeWithTies = (v: number) => -Math.round(Math.abs(v) * 2) / 2;

describe('maxPool gradient on wasm', () => {
  const rootPool = (xt: tf.Tensor) =>
    tf.maxPool(
      tf.pad(xt, [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ]) as tf.Tensor4D,
      3,
      2,
      'valid',
    );

  it('3x3/2 VALID after zero-pad 1 on negative inputs with ties: equals cpu exactly', async () => {
    const x = arg([2, 9, 8, 3], 4, negativeWithTies);
    const r = arg([2, 5, 4, 3], 5);
    const f = (xt: tf.Tensor) => tf.sum(tf.mul(rootPool(xt), tf.tensor(r.values, r.shape)));
    const { cpu, wasm } = await expectWasmMatchesCpu(f, [x]);
    expect(Array.from(wasm[0])).toEqual(Array.from(cpu[0]));
    // float64 reference on the padded input, cropped back.
    const padded = { shape: [2, 11, 10, 3], values: new Float32Array(2 * 11 * 10 * 3) };
    for (let b = 0; b < 2; b++)
      for (let i = 0; i < 9; i++)
        for (let j = 0; j < 8; j++)
          for (let c = 0; c < 3; c++)
            padded.values[((b * 11 + i + 1) * 10 + j + 1) * 3 + c] =
              x.values[((b * 9 + i) * 8 + j) * 3 + c];
    const refPadded = maxPoolGradReference(padded, r, 3, 2, 'valid');
    const ref = new Float64Array(x.values.length);
    for (let b = 0; b < 2; b++)
      for (let i = 0; i < 9; i++)
        for (let j = 0; j < 8; j++)
          for (let c = 0; c < 3; c++)
            ref[((b * 9 + i) * 8 + j) * 3 + c] = refPadded[((b * 11 + i + 1) * 10 + j + 1) * 3 + c];
    expect(relL2(wasm[0], ref)).toBeLessThan(1e-6);
  });

  it.each([
    [
      '3x3/2 same, mixed signs with ties',
      [2, 9, 7, 3],
      3,
      2,
      'same',
      (v: number) => Math.round(v * 2) / 2,
    ],
    ['3x3/2 same, all negative', [2, 8, 6, 2], 3, 2, 'same', (v: number) => -Math.abs(v) - 0.1],
    ['3x3/1 valid, negative with ties', [1, 7, 6, 2], 3, 1, 'valid', negativeWithTies],
    [
      '2x2/2 valid, all negative, odd sizes',
      [2, 7, 5, 3],
      2,
      2,
      'valid',
      (v: number) => -Math.abs(v),
    ],
  ] as Array<[string, number[], number, number, Pad, (v: number) => number]>)(
    '%s: equals cpu and the float64 reference',
    async (_name, xs, size, stride, pad, map) => {
      const x = arg(xs, 6, map);
      const g = tf.backend_util.computePool2DInfo(
        xs as [number, number, number, number],
        size,
        stride,
        1,
        pad as 'same',
      );
      const r = arg(g.outShape, 7);
      const f = (xt: tf.Tensor) =>
        tf.sum(
          tf.mul(
            tf.maxPool(xt as tf.Tensor4D, size, stride, pad as 'same'),
            tf.tensor(r.values, r.shape),
          ),
        );
      const { cpu, wasm } = await expectWasmMatchesCpu(f, [x]);
      expect(Array.from(wasm[0])).toEqual(Array.from(cpu[0]));
      expect(relL2(wasm[0], maxPoolGradReference(x, r, size, stride, pad))).toBeLessThan(1e-6);
    },
  );

  it('forward maxPool on negative inputs matches cpu', async () => {
    const x = arg([2, 9, 8, 3], 8, negativeWithTies);
    const f = (xt: tf.Tensor) => rootPool(xt);
    const cpu = await valueOn('cpu', f, [x]);
    const wasm = await valueOn('wasm', f, [x]);
    // Equal values; the sign of zero may differ (-0 from the padded zeros).
    expect(Array.from(wasm, (v) => v + 0)).toEqual(Array.from(cpu, (v) => v + 0));
  });
});

/** Group norm as BiT uses it: 5-D reshape, centred two-pass variance, eps 1e-5. */
function groupNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, groups: number): tf.Tensor {
  const [n, h, w, c] = x.shape;
  const xg = tf.reshape(x, [n, h, w, groups, c / groups]);
  const mean = tf.mean(xg, [1, 2, 4], true);
  const centred = tf.sub(xg, mean);
  const variance = tf.mean(tf.square(centred), [1, 2, 4], true);
  const normed = tf.reshape(tf.mul(centred, tf.rsqrt(tf.add(variance, 1e-5))), [n, h, w, c]);
  return tf.add(tf.mul(normed, gamma), beta);
}

/** Weight standardisation per output channel over (kh, kw, cin). */
function standardize(k: tf.Tensor): tf.Tensor {
  const mean = tf.mean(k, [0, 1, 2], true);
  const centred = tf.sub(k, mean);
  const variance = tf.mean(tf.square(centred), [0, 1, 2], true);
  return tf.div(centred, tf.sqrt(tf.add(variance, 1e-10)));
}

describe('other gradients BiT training uses, wasm vs cpu', () => {
  const R = (shape: number[], seed: number) => {
    const r = arg(shape, seed);
    return tf.tensor(r.values, r.shape);
  };
  const positive = (v: number) => Math.abs(v) + 0.5;
  const cases: Array<[string, (...xs: tf.Tensor[]) => tf.Tensor, Arg[]]> = [
    [
      'mean over H,W (keepDims) and all',
      (x) => tf.add(tf.sum(tf.mul(tf.mean(x, [1, 2], true), R([2, 1, 1, 6], 11))), tf.mean(x)),
      [arg([2, 3, 5, 6], 10)],
    ],
    [
      'sum over axes',
      (x) => tf.sum(tf.mul(tf.sum(x, [1, 3]), R([2, 5], 11))),
      [arg([2, 3, 5, 6], 10)],
    ],
    [
      'sub / mul / div with broadcasting',
      (a, b, c) => tf.sum(tf.mul(tf.div(tf.mul(tf.sub(a, b), c), b), R([2, 3, 4, 6], 12))),
      [arg([2, 3, 4, 6], 1), arg([2, 1, 1, 6], 2, positive), arg([6], 3)],
    ],
    [
      'sqrt / rsqrt / square',
      (x) => tf.sum(tf.mul(tf.add(tf.sqrt(x), tf.mul(tf.rsqrt(x), tf.square(x))), R([3, 7], 12))),
      [arg([3, 7], 4, positive)],
    ],
    ['relu', (x) => tf.sum(tf.mul(tf.relu(x), R([2, 3, 4, 6], 12))), [arg([2, 3, 4, 6], 5)]],
    [
      'reshape / transpose',
      (x) => tf.sum(tf.mul(tf.transpose(tf.reshape(x, [2, 12, 6]), [0, 2, 1]), R([2, 6, 12], 12))),
      [arg([2, 3, 4, 6], 5)],
    ],
    [
      'pad / slice',
      (x) =>
        tf.sum(
          tf.mul(
            tf.slice(
              tf.pad(x, [
                [0, 0],
                [1, 2],
                [3, 1],
                [0, 0],
              ]),
              [0, 1, 2, 1],
              [2, 4, 5, 4],
            ),
            R([2, 4, 5, 4], 12),
          ),
        ),
      [arg([2, 3, 4, 6], 5)],
    ],
    [
      'matMul + bias (head)',
      (a, b, c) => tf.sum(tf.mul(tf.add(tf.matMul(a, b), c), R([5, 7], 12))),
      [arg([5, 6], 1), arg([6, 7], 2), arg([7], 3)],
    ],
    [
      'matMul transposed',
      (a, b) => tf.sum(tf.mul(tf.matMul(a, b, true, true), R([5, 7], 12))),
      [arg([6, 5], 1), arg([7, 6], 2)],
    ],
    [
      'softmax / logSoftmax',
      (x) => tf.sum(tf.mul(tf.add(tf.softmax(x), tf.logSoftmax(x)), R([4, 10], 12))),
      [arg([4, 10], 6)],
    ],
    [
      'softmax cross-entropy with MixUp soft labels',
      (x) =>
        tf.neg(
          tf.mean(
            tf.sum(
              tf.mul(
                tf.add(
                  tf.mul(tf.oneHot([1, 3, 0, 9], 10), 0.7),
                  tf.mul(tf.oneHot([2, 2, 5, 1], 10), 0.3),
                ),
                tf.logSoftmax(x),
              ),
              -1,
            ),
          ),
        ),
      [arg([4, 10], 6)],
    ],
    [
      'broadcastTo',
      (x) => tf.sum(tf.mul(tf.broadcastTo(x, [2, 3, 4, 6]), R([2, 3, 4, 6], 12))),
      [arg([1, 3, 1, 6], 7)],
    ],
    [
      'moments',
      (x) => {
        const m = tf.moments(x, [1, 2], true);
        return tf.sum(tf.mul(tf.add(m.mean, m.variance), R([2, 1, 1, 6], 12)));
      },
      [arg([2, 3, 4, 6], 8)],
    ],
    [
      'avgPool',
      (x) => tf.sum(tf.mul(tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'), R([2, 3, 4, 3], 12))),
      [arg([2, 6, 8, 3], 9)],
    ],
    [
      'group norm (x, gamma, beta)',
      (x, g, b) => tf.sum(tf.mul(groupNorm(x, g, b, 4), R([2, 5, 3, 8], 12))),
      [arg([2, 5, 3, 8], 13), arg([8], 14, positive), arg([8], 15)],
    ],
    [
      'standardised conv (kernel inside the gradient)',
      (x, k) =>
        tf.sum(
          tf.mul(
            tf.conv2d(x as tf.Tensor4D, standardize(k) as tf.Tensor4D, 1, 'same'),
            R([2, 6, 5, 4], 12),
          ),
        ),
      [arg([2, 6, 5, 3], 16), arg([3, 3, 3, 4], 17)],
    ],
    [
      'head: GN, relu, global mean, dense',
      (x, g, b, w) =>
        tf.sum(
          tf.mul(tf.matMul(tf.mean(tf.relu(groupNorm(x, g, b, 2)), [1, 2]), w), R([2, 5], 12)),
        ),
      [arg([2, 4, 3, 8], 18), arg([8], 19, positive), arg([8], 20), arg([8, 5], 21)],
    ],
  ];
  it.each(cases)('%s', async (_name, f, args) => {
    await expectWasmMatchesCpu(f, args);
  });
});

/** The brief's end-to-end: sum(relu(conv(maxpool(pad(conv(x)))))) weighted by r. */
function rootAndConv(r: Arg) {
  return (x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor) => {
    const root = tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 2, [
      [0, 0],
      [3, 3],
      [3, 3],
      [0, 0],
    ]);
    const pooled = tf.maxPool(
      tf.pad(root, [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ]),
      3,
      2,
      'valid',
    );
    const y = tf.relu(tf.conv2d(pooled, w2 as tf.Tensor4D, 1, 'same'));
    return tf.sum(tf.mul(y, tf.tensor(r.values, r.shape)));
  };
}

describe('end to end on wasm', () => {
  const x = arg([2, 17, 15, 3], 30);
  const w1 = arg([7, 7, 3, 4], 31, (v) => v * 0.2);
  const w2 = arg([3, 3, 4, 6], 32, (v) => v * 0.3);
  const r = arg([2, 5, 4, 6], 33);
  const f = rootAndConv(r);

  it('grads w.r.t. input and both kernels match cpu', async () => {
    await expectWasmMatchesCpu(f, [x, w1, w2]);
  });

  it('cpu gradient agrees with central finite differences (anchor)', async () => {
    await useBackend('cpu');
    const [gw1, gw2] = await gradsOn('cpu', (a, b) => f(tf.tensor(x.values, x.shape), a, b), [
      w1,
      w2,
    ]);
    // Directional derivative along a random direction d, (f(w + e d) - f(w - e d)) / 2e.
    const d1 = arg(w1.shape, 34);
    const d2 = arg(w2.shape, 35);
    // Small enough that few relu/max kinks are crossed (float32 round-off stays ~1e-4).
    const eps = 3e-4;
    const at = (sign: number) =>
      tf.tidy(() => {
        const a = tf.add(
          tf.tensor(w1.values, w1.shape),
          tf.mul(tf.tensor(d1.values, d1.shape), sign * eps),
        );
        const b = tf.add(
          tf.tensor(w2.values, w2.shape),
          tf.mul(tf.tensor(d2.values, d2.shape), sign * eps),
        );
        return f(tf.tensor(x.values, x.shape), a, b).dataSync()[0];
      });
    const fd = (at(1) - at(-1)) / (2 * eps);
    let analytic = 0;
    for (let i = 0; i < gw1.length; i++) analytic += gw1[i] * d1.values[i];
    for (let i = 0; i < gw2.length; i++) analytic += gw2[i] * d2.values[i];
    expect(Math.abs(analytic)).toBeGreaterThan(1);
    expect(Math.abs(fd - analytic) / Math.abs(analytic)).toBeLessThan(5e-3);
  });

  it('repeated gradients on wasm leak neither tensors nor backend buffers', async () => {
    await useBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const run = () => gradsOn('wasm', f, [x, w1, w2]);
    await run();
    const tensors = tf.memory().numTensors;
    const ids = backend.numDataIds();
    for (let i = 0; i < 3; i++) await run();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(ids);
  });
});
