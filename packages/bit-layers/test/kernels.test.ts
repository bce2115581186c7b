/**
 * The wasm training kernels one by one: registration, every conv filter-gradient plan, the
 * input gradient (every stride, both plans), the copy-free Identity, the native MaxPoolGrad bug
 * they replace, errors, and no leaks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { tf, useBackend } from '../../../test-utils/backends';
import { seeded } from '../../../test-utils/seeded';
import {
  chooseFilterGradPlan,
  conv2DBackpropFilterConfig,
  conv2DBackpropFilterWasm,
  type FilterGradPlan,
} from '../src/kernels/conv2d-backprop-filter';
import { conv2DBackpropFilterCpuConfig } from '../src/kernels/conv2d-backprop-filter-cpu';
import { chooseForwardPlan, conv2DAsGemm } from '../src/kernels/conv2d';
import {
  chooseInputGradPlan,
  conv2DBackpropInputWasm,
  type InputGradPlan,
} from '../src/kernels/conv2d-backprop-input';
import { maxPoolGradConfig } from '../src/kernels/max-pool-grad';
import { im2colByChannel, im2colByPixel } from '../src/kernels/im2col';
import { columnsShape } from '../src/kernels/conv-info';
import {
  CPU_TRAINING_KERNEL_NAMES,
  registerCpuTrainingKernels,
  registerWasmTrainingKernels,
  WASM_TRAINING_KERNEL_NAMES,
} from '../src/kernels/register';
import { WasmKernelError, type WasmBackendLike } from '../src/kernels/wasm-backend';
import { relL2, sizeOf } from './reference';

/** Seeded values in [-1, 1) (mulberry32). */
function values(n: number, seed: number): Float32Array {
  const next = seeded(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = next() * 2 - 1;
  return out;
}

type Pad = 'same' | 'valid' | number | number[][];

/** tfjs's geometry of an NHWC convolution of an input of `xs` with a filter of `ks`. */
function convInfo(
  xs: readonly number[],
  ks: readonly number[],
  s: number | [number, number],
  pad: Pad,
  dilation = 1,
) {
  return tf.backend_util.computeConv2DInfo(
    xs as [number, number, number, number],
    ks as [number, number, number, number],
    s,
    dilation,
    pad as 'same',
  );
}

/** float64 dW of an NHWC conv for given x, dy. */
function filterGradReference(x: tf.Tensor4D, dy: tf.Tensor4D, k: number[], s: number, pad: Pad) {
  const g = convInfo(x.shape, k, s, pad);
  const xv = x.dataSync();
  const dv = dy.dataSync();
  const [n, h, w, ci] = x.shape;
  const [kh, kw, , co] = k;
  const dw = new Float64Array(kh * kw * ci * co);
  for (let b = 0; b < n; b++)
    for (let r = 0; r < g.outHeight; r++)
      for (let c = 0; c < g.outWidth; c++)
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) {
            const xr = r * s - g.padInfo.top + i;
            const xc = c * s - g.padInfo.left + j;
            if (xr < 0 || xr >= h || xc < 0 || xc >= w) continue;
            for (let p = 0; p < ci; p++)
              for (let o = 0; o < co; o++)
                dw[((i * kw + j) * ci + p) * co + o] +=
                  xv[((b * h + xr) * w + xc) * ci + p] *
                  dv[((b * g.outHeight + r) * g.outWidth + c) * co + o];
          }
  return dw;
}

/**
 * A filter-gradient case: seeded x (every `zeroEvery`-th value 0, as after a ReLU, when given),
 * a seeded dy of the convolution's output shape, and the float64 dW.
 */
function filterGradCase(xs: number[], ks: number[], s: number, pad: Pad, zeroEvery = 0) {
  const xv = values(sizeOf(xs), 2);
  if (zeroEvery > 0) for (let i = 0; i < xv.length; i += zeroEvery) xv[i] = 0;
  const x = tf.tensor4d(xv, xs as [number, number, number, number]);
  const g = convInfo(x.shape, ks, s, pad);
  const dy = tf.tensor4d(values(sizeOf(g.outShape), 3), g.outShape);
  return { x, dy, ref: filterGradReference(x, dy, ks, s, pad) };
}

let nativeMaxPoolGrad: KernelFunc;
let nativeIdentity: KernelFunc;
let nativeCast: KernelFunc;
let nativeClip: KernelFunc;
let registeredFirst: string[];

beforeAll(async () => {
  await useBackend('wasm');
  nativeMaxPoolGrad = tf.getKernel('MaxPoolGrad', 'wasm').kernelFunc;
  nativeIdentity = tf.getKernel('Identity', 'wasm').kernelFunc;
  nativeCast = tf.getKernel('Cast', 'wasm').kernelFunc;
  nativeClip = tf.getKernel('ClipByValue', 'wasm').kernelFunc;
  registeredFirst = registerWasmTrainingKernels();
});

const wasmBackend = () =>
  tf.findBackend('wasm') as unknown as WasmBackendLike & { numDataIds(): number };

describe('registerWasmTrainingKernels', () => {
  it('registers the missing, wrong and slow kernels once', () => {
    expect(registeredFirst).toEqual([
      'Conv2DBackpropFilter',
      'MaxPoolGrad',
      'Conv2DBackpropInput',
      'Conv2D',
      'Identity',
      'Cast',
      'ClipByValue',
    ]);
    expect([...WASM_TRAINING_KERNEL_NAMES]).toEqual(registeredFirst);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm').kernelFunc).toBe(
      conv2DBackpropFilterConfig.kernelFunc,
    );
    expect(tf.getKernel('MaxPoolGrad', 'wasm').kernelFunc).toBe(maxPoolGradConfig.kernelFunc);
    expect(tf.getKernel('MaxPoolGrad', 'wasm').kernelFunc).not.toBe(nativeMaxPoolGrad);
    expect(registerWasmTrainingKernels()).toEqual([]);
    expect(registerWasmTrainingKernels({ replaceSlow: false })).toEqual([]);
    expect(tf.getKernel('MaxPoolGrad', 'cpu').kernelFunc).not.toBe(maxPoolGradConfig.kernelFunc);
  });

  it('the native wasm MaxPoolGrad it replaces is wrong on negative inputs (tfjs 4.22)', async () => {
    await useBackend('wasm');
    const x = tf.tensor4d(
      values(2 * 7 * 7 * 2, 1).map((v) => -Math.abs(v) - 0.1),
      [2, 7, 7, 2],
    );
    const pooled = tf.maxPool(x, 3, 2, 'valid');
    const dy = tf.onesLike(pooled);
    const attrs = { filterSize: 3, strides: 2, pad: 'valid' };
    const ours = tf
      .engine()
      .runKernel('MaxPoolGrad', { dy, input: x, output: pooled }, attrs) as tf.Tensor;
    const info = nativeMaxPoolGrad({
      inputs: { dy, input: x, output: pooled },
      backend: tf.backend(),
      attrs,
    });
    const native = tf.engine().makeTensorFromTensorInfo(info as TensorInfo);
    // Each window's gradient (1) lands on exactly one input: the total is the window count.
    expect(tf.sum(ours).dataSync()[0]).toBe(pooled.size);
    expect(tf.sum(native).dataSync()[0]).not.toBe(pooled.size);
    tf.dispose([x, pooled, dy, ours, native]);
  });
});

describe('Identity (shares the data instead of copying it)', () => {
  it('adds a reference, no buffer; either tensor outlives the other; strings use the native kernel', async () => {
    await useBackend('wasm');
    expect(tf.getKernel('Identity', 'wasm').kernelFunc).not.toBe(nativeIdentity);
    const before = wasmBackend().numDataIds();
    const x = tf.tensor2d(values(12, 3), [3, 4]);
    const expected = x.dataSync().slice();
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    expect(wasmBackend().numDataIds()).toBe(before + 1);
    x.dispose();
    expect(y.dataSync()).toEqual(expected);
    const z = tf.clone(y);
    y.dispose();
    expect(z.dataSync()).toEqual(expected);
    z.dispose();
    expect(wasmBackend().numDataIds()).toBe(before);
    // Through the gradient tape: d(sum(clone(w)))/dw is ones.
    const w = tf.tensor1d([1, -2, 3]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.clone(v)))(w);
    expect([...g.dataSync()]).toEqual([1, 1, 1]);
    const s = tf.tensor1d(['a', 'b'], 'string');
    const t = tf.clone(s);
    expect(t.dataSync()).toEqual(['a', 'b']);
    tf.dispose([w, g, s, t]);
    expect(wasmBackend().numDataIds()).toBe(before);
  });
});

describe('Cast (shares the data when the dtype stays)', () => {
  it('float32 to float32 adds a reference; other dtypes convert as the native kernel does', async () => {
    await useBackend('wasm');
    expect(tf.getKernel('Cast', 'wasm').kernelFunc).not.toBe(nativeCast);
    const before = wasmBackend().numDataIds();
    const x = tf.tensor2d([1.5, -2.25, 3, 0.5, 7, -8], [2, 3]);
    const y = tf.cast(x, 'float32');
    expect(y.dataId).toBe(x.dataId);
    expect(wasmBackend().numDataIds()).toBe(before + 1);
    x.dispose();
    expect([...y.dataSync()]).toEqual([1.5, -2.25, 3, 0.5, 7, -8]);
    // A real conversion still makes a new buffer, with the native kernel's values.
    const i = tf.cast(y, 'int32');
    expect(i.dataId).not.toBe(y.dataId);
    expect(i.dtype).toBe('int32');
    const native = tf.engine().makeTensorFromTensorInfo(
      nativeCast({
        inputs: { x: y },
        backend: tf.backend(),
        attrs: { dtype: 'int32' },
      }) as TensorInfo,
    );
    expect([...i.dataSync()]).toEqual([...native.dataSync()]);
    // To bool is x != 0, as on cpu (the native kernel gives 2, 255 and 0 here).
    const f = tf.tensor1d([0, 2, -1, 0.5, -0, NaN]);
    const b = tf.cast(f, 'bool');
    expect([...b.dataSync()]).toEqual([0, 1, 1, 1, 0, 1]);
    const nativeBool = nativeCast({
      inputs: { x: f },
      backend: tf.backend(),
      attrs: { dtype: 'bool' },
    });
    const nb = tf.engine().makeTensorFromTensorInfo(nativeBool as TensorInfo);
    expect([...nb.dataSync()]).toEqual([0, 2, 255, 0, 0, 0]);
    const ints = tf.tensor1d([3, 0, -7], 'int32');
    const ib = tf.cast(ints, 'bool');
    expect([...ib.dataSync()]).toEqual([1, 0, 1]);
    tf.dispose([f, nb, ints, ib]);
    // Through the tape (the ReLU gradient casts its mask): d(sum(relu(v)))/dv.
    const v = tf.tensor1d([1, -2, 3]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.relu(tf.cast(t, 'float32'))))(v);
    expect([...g.dataSync()]).toEqual([1, 0, 1]);
    tf.dispose([y, i, native, b, v, g]);
    expect(wasmBackend().numDataIds()).toBe(before);
  });
});

describe('ClipByValue (int32 clipped as integers)', () => {
  it('clips int32 as cpu does, where the native kernel read the bits as floats; float32 is native', async () => {
    await useBackend('wasm');
    const before = wasmBackend().numDataIds();
    const ints = [300, -5, 128, 256, 70000, -2147483648, 2147483647, 0];
    const x = tf.tensor1d(ints, 'int32');
    const y = tf.clipByValue(x, 0, 255);
    expect(y.dtype).toBe('int32');
    expect([...y.dataSync()]).toEqual([255, 0, 128, 255, 255, 0, 255, 0]);
    const info = nativeClip({
      inputs: { x },
      backend: tf.backend(),
      attrs: { clipValueMin: 0, clipValueMax: 255 },
    });
    const native = tf.engine().makeTensorFromTensorInfo(info as TensorInfo);
    expect(native.dataSync()[0]).toBe(300); // the bug this kernel replaces
    const small = tf.tensor2d(
      [
        [-3, 0],
        [2, 7],
      ],
      [2, 2],
      'int32',
    );
    const z = tf.clipByValue(small, -1, 1);
    expect([...z.dataSync()]).toEqual([-1, 0, 1, 1]);
    const f = tf.tensor1d([300.5, -5, 0.25, 255]);
    const fc = tf.clipByValue(f, 0, 255);
    expect([...fc.dataSync()]).toEqual([255, 0, 0.25, 255]);
    tf.dispose([x, y, native, small, z, f, fc]);
    expect(wasmBackend().numDataIds()).toBe(before);
  });
});

const FILTER_GRAD_CASES: Array<[string, number[], number[], number, Pad, FilterGradPlan[]]> = [
  ['1x1 s1', [2, 5, 6, 7], [1, 1, 7, 3], 1, 'valid', ['gemm', 'matmul', 'taps', 'dilated-conv']],
  ['3x3 s1 same', [2, 6, 5, 3], [3, 3, 3, 4], 1, 'same', ['gemm', 'taps', 'dilated-conv']],
  ['3x3 s1 valid', [2, 6, 5, 3], [3, 3, 3, 4], 1, 'valid', ['gemm', 'taps', 'dilated-conv']],
  [
    '5x5 s1 explicit asymmetric',
    [1, 7, 8, 2],
    [5, 5, 2, 3],
    1,
    [
      [0, 0],
      [2, 1],
      [0, 2],
      [0, 0],
    ],
    ['gemm', 'taps', 'dilated-conv'],
  ],
  ['3x3 s2 same', [2, 7, 6, 3], [3, 3, 3, 4], 2, 'same', ['gemm', 'dilated-conv']],
  ['3x3 s3 valid remainder', [2, 11, 10, 3], [3, 3, 3, 2], 3, 'valid', ['gemm', 'dilated-conv']],
  [
    '1x1 s2 valid (BiT projection)',
    [2, 7, 6, 5],
    [1, 1, 5, 3],
    2,
    'valid',
    ['gemm', 'dilated-conv'],
  ],
  [
    '3x3 s2 valid after explicit pad 1 (BiT)',
    [2, 8, 8, 3],
    [3, 3, 3, 4],
    2,
    [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
    ['gemm', 'dilated-conv'],
  ],
];

describe('columns matrix (im2col.ts)', () => {
  it.each([
    ['3x3 s1 same, rows of 40 (copied whole)', [2, 40, 40, 3], [3, 3, 3, 2], 1, 'same'],
    ['3x3 s1 valid, rows of 30', [1, 32, 32, 5], [3, 3, 5, 2], 1, 'valid'],
    [
      '3x3 s2 explicit pad, odd sizes',
      [2, 9, 11, 3],
      [3, 3, 3, 2],
      2,
      [
        [0, 0],
        [2, 1],
        [0, 2],
        [0, 0],
      ],
    ],
    ['7x7 s2 same (the root)', [1, 37, 35, 3], [7, 7, 3, 2], 2, 'same'],
    ['5x5 s3 valid remainder', [2, 17, 13, 2], [5, 5, 2, 2], 3, 'valid'],
    ['1x1 s2 (a projection)', [2, 7, 6, 5], [1, 1, 5, 3], 2, 'valid'],
    ['3x3 s1 same on 2x2 px (every tap reads padding)', [1, 2, 2, 4], [3, 3, 4, 2], 1, 'same'],
  ] as Array<[string, number[], number[], number, Pad]>)(
    '%s: built by channel equals built by pixel',
    (_n, xs, ks, s, pad) => {
      const info = convInfo(xs, ks, s, pad);
      const x = values(sizeOf(xs), 3);
      const { rows, positions } = columnsShape(info);
      const byPixel = new Float32Array(rows * positions).fill(Number.NaN);
      const byChannel = new Float32Array(rows * positions).fill(Number.NaN);
      im2colByPixel(x, byPixel, info);
      im2colByChannel(x, byChannel, info);
      expect(byPixel.some(Number.isNaN)).toBe(false);
      expect(Array.from(byChannel)).toEqual(Array.from(byPixel));
    },
  );
});

describe('Conv2DBackpropFilter plans', () => {
  it.each(FILTER_GRAD_CASES)(
    '%s: every applicable plan matches float64',
    async (_n, xs, ks, s, pad, plans) => {
      await useBackend('wasm');
      const { x, dy, ref } = filterGradCase(xs, ks, s, pad);
      const backend = wasmBackend();
      const ids = backend.numDataIds();
      for (const plan of plans) {
        const attrs = { strides: s, pad, dataFormat: 'NHWC', filterShape: ks } as never;
        const out = conv2DBackpropFilterWasm(x, dy, attrs, backend, plan);
        expect(out.shape).toEqual(ks);
        const dw = tf.engine().makeTensorFromTensorInfo(out);
        expect(relL2(dw.dataSync(), ref)).toBeLessThan(1e-5);
        dw.dispose();
        expect(backend.numDataIds()).toBe(ids); // intermediates freed
      }
      tf.dispose([x, dy]);
    },
  );

  it('picks matmul for 1x1/1, gemm up to 4M column values, then taps (stride 1), then the dilated conv', () => {
    const plan = (xs: number[], ks: number[], s: number, pad: Pad) =>
      chooseFilterGradPlan(convInfo(xs, ks, s, pad));
    expect(plan([8, 32, 32, 256], [1, 1, 256, 64], 1, 'valid')).toBe('matmul');
    expect(plan([4, 4, 4, 2048], [1, 1, 2048, 512], 1, 'valid')).toBe('matmul');
    expect(plan([4, 8, 8, 256], [3, 3, 256, 256], 1, 'same')).toBe('gemm'); // P 256
    expect(plan([4, 34, 34, 128], [3, 3, 128, 128], 2, 'valid')).toBe('gemm'); // strided
    expect(plan([4, 134, 134, 3], [7, 7, 3, 64], 2, 'valid')).toBe('gemm'); // the root, 2.4M
    expect(plan([8, 16, 16, 64], [1, 1, 64, 128], 2, 'valid')).toBe('gemm');
    expect(plan([4, 16, 16, 128], [3, 3, 128, 128], 1, 'same')).toBe('gemm'); // 1.2M
    expect(plan([4, 32, 32, 64], [3, 3, 64, 64], 1, 'same')).toBe('gemm'); // 2.4M
    expect(plan([4, 32, 32, 256], [3, 3, 256, 256], 1, 'same')).toBe('taps'); // 9.4M, P 4096
    expect(plan([8, 32, 32, 64], [3, 3, 64, 64], 1, 'same')).toBe('dilated-conv'); // P 8192
    expect(plan([8, 64, 64, 256], [3, 3, 256, 256], 2, 'same')).toBe('dilated-conv'); // 18.9M
  });

  it('rejects a backend that is not wasm, a dy of the wrong shape and NCHW', async () => {
    await useBackend('wasm');
    const x = tf.zeros([1, 4, 4, 2]);
    const dy = tf.zeros([1, 4, 4, 3]);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 2, 3] };
    const run = (a: object, backend: unknown) =>
      conv2DBackpropFilterConfig.kernelFunc({
        inputs: { x, dy },
        backend: backend as object,
        attrs: a as never,
      });
    expect(() => run(attrs, {})).toThrow(WasmKernelError);
    expect(() => run({ ...attrs, filterShape: [3, 3, 2, 5] }, tf.backend())).toThrow(/dy shape/);
    expect(() => run({ ...attrs, dataFormat: 'NCHW' }, tf.backend())).toThrow(/dataFormat/);
    tf.dispose([x, dy]);
  });
});

describe('Conv2DBackpropFilter on cpu (registerCpuTrainingKernels)', () => {
  it('registers once, replacing the native kernel', async () => {
    await useBackend('cpu');
    const first = registerCpuTrainingKernels();
    expect(CPU_TRAINING_KERNEL_NAMES).toEqual(['Conv2DBackpropFilter']);
    expect(first.length === 0 || first[0] === 'Conv2DBackpropFilter').toBe(true);
    expect(registerCpuTrainingKernels()).toEqual([]);
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu').kernelFunc).toBe(
      conv2DBackpropFilterCpuConfig.kernelFunc,
    );
  });

  it.each(FILTER_GRAD_CASES)('%s: matches float64', async (_n, xs, ks, s, pad) => {
    await useBackend('cpu');
    registerCpuTrainingKernels();
    // Zeros as after a ReLU (the loop skips them).
    const { x, dy, ref } = filterGradCase(xs, ks, s, pad, 3);
    const w0 = tf.zeros(ks);
    const before = tf.memory().numTensors;
    const grad = tf.grad((w: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(x, w as tf.Tensor4D, s, pad as 'same'), dy)),
    )(w0);
    expect(grad.shape).toEqual(ks);
    expect(relL2(grad.dataSync(), ref)).toBeLessThan(1e-6);
    grad.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, dy, w0]);
  });
});

describe('Conv2DBackpropInput (phases as convolutions, or one product and a scatter)', () => {
  it.each([
    ['1x1 valid', [2, 5, 6, 7], [1, 1, 7, 3], 1, 'valid'],
    ['3x3 same', [2, 6, 5, 3], [3, 3, 3, 4], 1, 'same'],
    ['3x3 valid', [2, 6, 5, 3], [3, 3, 3, 4], 1, 'valid'],
    [
      '5x5 explicit asymmetric',
      [1, 7, 8, 2],
      [5, 5, 2, 3],
      1,
      [
        [0, 0],
        [2, 1],
        [0, 2],
        [0, 0],
      ],
    ],
    ['3x3 s2 same', [2, 7, 6, 3], [3, 3, 3, 4], 2, 'same'],
    ['1x1 s2 valid (odd input: phases without taps)', [2, 7, 6, 5], [1, 1, 5, 3], 2, 'valid'],
    [
      '3x3 s2 valid, explicit pad 1 (BiT)',
      [2, 8, 8, 3],
      [3, 3, 3, 4],
      2,
      [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ],
    ],
    ['7x7 s2 valid with a remainder', [1, 12, 11, 3], [7, 7, 3, 2], 2, 'valid'],
    ['4x4 s3 same, taps not a multiple of the stride', [1, 10, 9, 2], [4, 4, 2, 3], 3, 'same'],
    ['2x3 strides [2, 1] asymmetric', [2, 7, 6, 3], [2, 3, 3, 4], [2, 1], 'same'],
  ] as Array<[string, number[], number[], number | [number, number], Pad]>)(
    '%s: matches cpu',
    async (_n, xs, ks, s, pad) => {
      const fv = values(
        ks.reduce((a, b) => a * b),
        4,
      );
      const g = convInfo(xs, ks, s, pad);
      const dv = values(
        g.outShape.reduce((a, b) => a * b),
        5,
      );
      const dxOn = async (b: 'cpu' | 'wasm') => {
        await useBackend(b);
        const f = tf.tensor4d(fv, ks as [number, number, number, number]);
        const dy = tf.tensor4d(dv, g.outShape);
        const dx = tf.conv2dTranspose(
          dy,
          f,
          xs as [number, number, number, number],
          s,
          pad as 'same',
        );
        const out = dx.dataSync().slice();
        tf.dispose([f, dy, dx]);
        return out;
      };
      const cpu = await dxOn('cpu');
      const ids = wasmBackend().numDataIds();
      const wasm = await dxOn('wasm');
      expect(wasmBackend().numDataIds()).toBe(ids);
      expect(relL2(wasm, cpu)).toBeLessThan(1e-5);
      // Each plan on its own (the kernel picks one by shape).
      const f = tf.tensor4d(fv, ks as [number, number, number, number]);
      const dy = tf.tensor4d(dv, g.outShape);
      for (const plan of ['phases', 'gemm'] as InputGradPlan[]) {
        const out = conv2DBackpropInputWasm(dy, f, g, wasmBackend(), plan);
        expect(out.shape).toEqual(xs);
        const dx = tf.engine().makeTensorFromTensorInfo(out);
        expect(relL2(dx.dataSync(), cpu), plan).toBeLessThan(1e-5);
        dx.dispose();
      }
      tf.dispose([f, dy]);
      expect(wasmBackend().numDataIds()).toBe(ids);
    },
  );

  it('picks gemm where the filter has at least as many rows as there are positions', () => {
    const plan = (xs: number[], ks: number[], s: number, pad: Pad) =>
      chooseInputGradPlan(convInfo(xs, ks, s, pad));
    expect(plan([4, 4, 4, 512], [3, 3, 512, 512], 1, 'same')).toBe('gemm'); // K 4608, P 64
    expect(plan([4, 8, 8, 1024], [1, 1, 1024, 2048], 2, 'valid')).toBe('gemm'); // K 1024, P 64
    expect(plan([4, 16, 16, 128], [3, 3, 128, 128], 1, 'same')).toBe('gemm'); // K 1152, P 1024
    expect(plan([4, 32, 32, 256], [1, 1, 256, 64], 1, 'valid')).toBe('phases'); // K 256, P 4096
  });
});

describe('Conv2D (columns times filter where the filter outweighs the activations)', () => {
  /** tf.conv2d of the given values on backend `b`, as plain numbers. */
  const conv2dOn = async (
    b: 'cpu' | 'wasm',
    xv: Float32Array,
    xs: number[],
    fv: Float32Array,
    ks: number[],
    s: number | [number, number],
    pad: Pad,
    dilation = 1,
  ) => {
    await useBackend(b);
    const y = tf.tidy(() =>
      tf.conv2d(
        tf.tensor4d(xv, xs as [number, number, number, number]),
        tf.tensor4d(fv, ks as [number, number, number, number]),
        s,
        pad as 'same',
        'NHWC',
        dilation,
      ),
    );
    const out = y.dataSync().slice();
    y.dispose();
    return out;
  };
  it.each([
    ['1x1 s1 (pointwise: x as it is)', [1, 2, 3, 7], [1, 1, 7, 5], 1, 'valid'],
    ['1x1 s2 valid (BiT projection)', [1, 5, 4, 9], [1, 1, 9, 6], 2, 'valid'],
    ['3x3 s1 same', [1, 3, 4, 8], [3, 3, 8, 5], 1, 'same'],
    [
      '3x3 s2 valid after explicit pad 1 (BiT)',
      [2, 6, 6, 4],
      [3, 3, 4, 3],
      2,
      [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ],
    ],
    ['2x3 strides [2, 1] same', [1, 5, 4, 6], [2, 3, 6, 2], [2, 1], 'same'],
  ] as Array<[string, number[], number[], number | [number, number], Pad]>)(
    '%s: equals cpu, through the registered kernel and the gemm plan itself',
    async (_n, xs, ks, s, pad) => {
      const xv = values(sizeOf(xs), 6);
      const fv = values(sizeOf(ks), 7);
      const cpu = await conv2dOn('cpu', xv, xs, fv, ks, s, pad);
      const ids = wasmBackend().numDataIds();
      expect(relL2(await conv2dOn('wasm', xv, xs, fv, ks, s, pad), cpu)).toBeLessThan(1e-6);
      // A filter's first use runs the product, later ones the native kernel: both equal cpu.
      const x = tf.tensor4d(xv, xs as [number, number, number, number]);
      const f = tf.tensor4d(fv, ks as [number, number, number, number]);
      for (let use = 0; use < 3; use++) {
        const y = tf.conv2d(x, f, s, pad as 'same');
        expect(relL2(y.dataSync(), cpu), `use ${use}`).toBeLessThan(1e-6);
        y.dispose();
      }
      const info = convInfo(xs, ks, s, pad);
      expect(chooseForwardPlan(info)).toBe('gemm'); // the registered kernel took this plan too
      const y = tf.engine().makeTensorFromTensorInfo(conv2DAsGemm(x, f, info, wasmBackend()));
      expect(y.shape).toEqual(info.outShape);
      expect(relL2(y.dataSync(), cpu)).toBeLessThan(1e-6);
      tf.dispose([x, f, y]);
      expect(wasmBackend().numDataIds()).toBe(ids);
    },
  );

  it('picks gemm where the filter has at least as many rows as there are positions, never for dilation', () => {
    expect(chooseForwardPlan(convInfo([4, 4, 4, 512], [3, 3, 512, 512], 1, 'same'))).toBe('gemm');
    expect(chooseForwardPlan(convInfo([4, 8, 8, 1024], [1, 1, 1024, 2048], 2, 'valid'))).toBe(
      'gemm',
    );
    expect(chooseForwardPlan(convInfo([4, 32, 32, 256], [1, 1, 256, 64], 1, 'valid'))).toBe(
      'native',
    );
    expect(chooseForwardPlan(convInfo([1, 4, 4, 512], [3, 3, 512, 512], 1, 'same', 2))).toBe(
      'native',
    );
  });

  it('a dilated convolution still runs (on the native kernel) and equals cpu', async () => {
    const xv = values(2 * 7 * 7 * 3, 8);
    const fv = values(3 * 3 * 3 * 64, 9);
    const [xs, ks] = [
      [2, 7, 7, 3],
      [3, 3, 3, 64],
    ];
    const wasm = await conv2dOn('wasm', xv, xs, fv, ks, 1, 'same', 2);
    expect(relL2(wasm, await conv2dOn('cpu', xv, xs, fv, ks, 1, 'same', 2))).toBeLessThan(1e-6);
  });
});
