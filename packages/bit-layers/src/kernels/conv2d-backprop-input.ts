/**
 * A fast `Conv2DBackpropInput` for the wasm backend. tfjs-backend-wasm 4.22's own kernel is
 * correct but a plain scalar loop, 5-20x slower than the forward XNNPACK convolution.
 *
 * dx of a convolution with stride s is a sum of s_h·s_w stride-1 convolutions, one per output
 * phase (sub-pixel decomposition): the rows i with (i + pad_top) mod s_h = r get
 * `z_r[q] = Σ_j dy[q - j] · w[r + s_h·j]`, a full convolution of dy with the sub-filter of taps
 * r, r + s_h, … rotated by 180 degrees and with in/out channels swapped. Each phase runs on the
 * backend's XNNPACK `Conv2D`; the sub-filters are cut, rotated and swapped in one pass over the
 * wasm heap, and the phases are interleaved (and cropped to the input) in one pass too, so the
 * arithmetic equals the forward convolution's, with no zero-dilated dy. Dilated convolutions go
 * to the native kernel. Where the filter outweighs the activations (deep stages at small
 * images), dx is instead one matrix product with the filter as it is and a scatter
 * ({@link conv2DBackpropInputAsGemm}): no fresh filter for XNNPACK to pack.
 */
import { BatchMatMul, Conv2D, Conv2DBackpropInput } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import {
  asWasmBackend,
  Intermediates,
  runNative,
  WASM_BACKEND_NAME,
  WasmKernelError,
  type WasmBackendLike,
} from './wasm-backend';
import { columnsShape, convInfoOf, filterOutweighsActivations, type ConvInfo } from './conv-info';
import { col2imTransposed, transposeInto } from './im2col';

const KERNEL = Conv2DBackpropInput;

/** How this kernel computes dx: phase convolutions, or one product and a scatter. */
export type InputGradPlan = 'phases' | 'gemm';

/**
 * The plan for a convolution: 'gemm' where the filter has at least as many rows K = kh·kw·Cin
 * as there are output positions P = N·oh·ow (the deep stages of a ResNet at small images, where
 * packing a fresh filter costs more than the arithmetic: 5x faster at 4x4 px, 1.4-1.8x at 8x8
 * px in isolation; in R50x1 training steps at 128 px this rule beat capping it at P <= 256 or
 * widening it to 2K >= P, measured alternately in one process), 'phases' otherwise.
 */
export function chooseInputGradPlan(info: ConvInfo): InputGradPlan {
  return filterOutweighsActivations(info) ? 'gemm' : 'phases';
}

/**
 * dx as one product and a scatter: the gradient of the convolution's columns matrix,
 * W ([K, Cout], the HWIO filter as it is) · dyᵀ ([Cout, P]), summed back into the input
 * positions each tap read. The packed operand is dyᵀ, activation-sized.
 */
export function conv2DBackpropInputAsGemm(
  dy: TensorInfo,
  filter: TensorInfo,
  info: ConvInfo,
  backend: WasmBackendLike,
): TensorInfo {
  const { rows, positions } = columnsShape(info);
  const cout = info.outChannels;
  const ops = new Intermediates(backend);
  try {
    const dyT = ops.output([cout, positions], 'float32');
    transposeInto(
      backend.typedArrayFromHeap(dy) as Float32Array,
      0,
      positions,
      cout,
      backend.typedArrayFromHeap(dyT) as Float32Array,
      0,
    );
    const a = ops.reshape(filter, [rows, cout]);
    const cols = ops.run(BatchMatMul, { a, b: dyT }, { transposeA: false, transposeB: false });
    const dx = backend.makeOutput(
      [info.batchSize, info.inHeight, info.inWidth, info.inChannels],
      'float32',
    );
    // Views after every allocation: a growing heap invalidates earlier ones.
    col2imTransposed(
      backend.typedArrayFromHeap(cols) as Float32Array,
      backend.typedArrayFromHeap(dx) as Float32Array,
      info,
    );
    ops.dispose();
    return dx;
  } catch (e) {
    ops.dispose();
    throw e;
  }
}

/**
 * dx of an NHWC convolution (dilation 1) by `plan` (default {@link chooseInputGradPlan}'s);
 * exposed for tests and benchmarks.
 */
export function conv2DBackpropInputWasm(
  dy: TensorInfo,
  filter: TensorInfo,
  info: ConvInfo,
  backend: WasmBackendLike,
  plan: InputGradPlan = chooseInputGradPlan(info),
): TensorInfo {
  return plan === 'gemm'
    ? conv2DBackpropInputAsGemm(dy, filter, info, backend)
    : conv2DBackpropInputAsConv(dy, filter, info, backend);
}

/** Whether this kernel computes dx of the convolution itself (else the native one does). */
export function canRunAsConvolution(info: ConvInfo): boolean {
  return info.dilationHeight === 1 && info.dilationWidth === 1;
}

/** One spatial dimension of the phase decomposition. */
interface PhaseAxis {
  /** Stride of the forward convolution (the number of phases). */
  stride: number;
  /** Leading padding of the forward convolution. */
  pad: number;
  /** Taps of the forward filter. */
  taps: number;
  /** Length of dy (the forward output). */
  outLength: number;
  /** Length of dx (the forward input). */
  inLength: number;
  /** Rows of each phase's result that dx reads: ceil((pad + inLength) / stride). */
  phaseLength: number;
}

function phaseAxis(
  stride: number,
  pad: number,
  taps: number,
  outLength: number,
  inLength: number,
): PhaseAxis {
  return {
    stride,
    pad,
    taps,
    outLength,
    inLength,
    phaseLength: Math.ceil((pad + inLength) / stride),
  };
}

/** Taps of phase r's sub-filter: those at r, r + s, … below `taps` (0 when r ≥ taps). */
function phaseTaps(axis: PhaseAxis, r: number): number {
  return r < axis.taps ? Math.ceil((axis.taps - r) / axis.stride) : 0;
}

/**
 * Writes phase (rh, rw)'s filter for dx into `out` ([th, tw, cout, cin]): tap (t_h, t_w) is the
 * forward tap (rh + s_h·(th - 1 - t_h), rw + s_w·(tw - 1 - t_w)), transposed.
 */
function cutPhaseFilter(
  w: Float32Array,
  out: Float32Array,
  kw: number,
  cin: number,
  cout: number,
  h: PhaseAxis,
  wAxis: PhaseAxis,
  rh: number,
  rw: number,
): void {
  const th = phaseTaps(h, rh);
  const tw = phaseTaps(wAxis, rw);
  const tap = cin * cout;
  for (let a = 0; a < th; a++) {
    const i = rh + h.stride * (th - 1 - a);
    for (let b = 0; b < tw; b++) {
      const j = rw + wAxis.stride * (tw - 1 - b);
      // out[a, b, o, c] = w[i, j, c, o]
      transposeInto(w, (i * kw + j) * tap, cin, cout, out, (a * tw + b) * tap);
    }
  }
}

/**
 * dx of an NHWC convolution (dilation 1, any stride and padding) from dy and the HWIO filter,
 * as one XNNPACK convolution per output phase.
 */
export function conv2DBackpropInputAsConv(
  dy: TensorInfo,
  filter: TensorInfo,
  info: ConvInfo,
  backend: WasmBackendLike,
): TensorInfo {
  const h = phaseAxis(
    info.strideHeight,
    info.padInfo.top,
    info.filterHeight,
    info.outHeight,
    info.inHeight,
  );
  const w = phaseAxis(
    info.strideWidth,
    info.padInfo.left,
    info.filterWidth,
    info.outWidth,
    info.inWidth,
  );
  const { batchSize: n, inChannels: cin, outChannels: cout } = info;
  const ops = new Intermediates(backend);
  try {
    // Phase results, [n, max(outLength, phaseLength), …, cin] each (null: no taps, all zero).
    const phases: Array<TensorInfo | null> = [];
    for (let rh = 0; rh < h.stride; rh++) {
      for (let rw = 0; rw < w.stride; rw++) {
        const th = phaseTaps(h, rh);
        const tw = phaseTaps(w, rw);
        if (th === 0 || tw === 0) {
          phases.push(null);
          continue;
        }
        const sub = ops.output([th, tw, cout, cin], 'float32');
        cutPhaseFilter(
          backend.typedArrayFromHeap(filter) as Float32Array,
          backend.typedArrayFromHeap(sub) as Float32Array,
          info.filterWidth,
          cin,
          cout,
          h,
          w,
          rh,
          rw,
        );
        const pad = [
          [0, 0],
          [th - 1, Math.max(0, h.phaseLength - h.outLength)],
          [tw - 1, Math.max(0, w.phaseLength - w.outLength)],
          [0, 0],
        ];
        const attrs: NamedAttrMap = { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1] };
        phases.push(ops.run(Conv2D, { x: dy, filter: sub }, attrs));
      }
    }
    const dx = backend.makeOutput([n, info.inHeight, info.inWidth, cin], 'float32');
    interleave(backend, dx, phases, n, cin, h, w);
    ops.dispose();
    return dx;
  } catch (e) {
    ops.dispose();
    throw e;
  }
}

/** dx[b, i, j] = phase(i + pad_h mod s_h, j + pad_w mod s_w)[b, ⌊(i + pad_h)/s_h⌋, ⌊…⌋]. */
function interleave(
  backend: WasmBackendLike,
  dx: TensorInfo,
  phases: Array<TensorInfo | null>,
  n: number,
  c: number,
  h: PhaseAxis,
  w: PhaseAxis,
): void {
  // Views after every allocation: a growing heap invalidates earlier ones.
  const out = backend.typedArrayFromHeap(dx) as Float32Array;
  const views = phases.map((p) =>
    p == null ? null : (backend.typedArrayFromHeap(p) as Float32Array),
  );
  const rowsOf = phases.map((p) => (p == null ? 0 : p.shape[1]));
  const colsOf = phases.map((p) => (p == null ? 0 : p.shape[2]));
  let dst = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < h.inLength; i++) {
      const mh = i + h.pad;
      const rh = mh % h.stride;
      const q = (mh - rh) / h.stride;
      for (let j = 0; j < w.inLength; j++) {
        const mw = j + w.pad;
        const rw = mw % w.stride;
        const qw = (mw - rw) / w.stride;
        const p = rh * w.stride + rw;
        const src = views[p];
        if (src == null) out.fill(0, dst, dst + c);
        else {
          const at = ((b * rowsOf[p] + q) * colsOf[p] + qw) * c;
          out.set(src.subarray(at, at + c), dst);
        }
        dst += c;
      }
    }
  }
}

/**
 * Builds the kernel config; `fallback` (the backend's native kernel) handles what this one
 * does not (dilated convolutions, non-float32 data).
 */
export function makeConv2DBackpropInputConfig(fallback: KernelFunc | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs;
    if (dy == null || filter == null) {
      throw new WasmKernelError(`${KERNEL}: inputs dy and filter are required`);
    }
    const wasm = asWasmBackend(backend, KERNEL);
    const info = convInfoOf(
      KERNEL,
      (attrs ?? {}).inputShape as number[],
      filter.shape,
      dy,
      attrs ?? {},
    );
    if (canRunAsConvolution(info) && dy.dtype === 'float32' && filter.dtype === 'float32') {
      return conv2DBackpropInputWasm(dy, filter, info, wasm);
    }
    return runNative(
      fallback,
      args,
      KERNEL,
      `dilations [${info.dilationHeight}, ${info.dilationWidth}]`,
    );
  };
  return { kernelName: KERNEL, backendName: WASM_BACKEND_NAME, kernelFunc };
}
