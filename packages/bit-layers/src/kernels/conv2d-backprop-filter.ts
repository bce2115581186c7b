/**
 * `Conv2DBackpropFilter` for the wasm backend, which tfjs-backend-wasm 4.22 lacks
 * (tensorflow/tfjs#8474): without it no convolution kernel gets a gradient on wasm.
 *
 * Built from the wasm backend's own XNNPACK kernels. Four plans, chosen by shape
 * (timings in the package report; all agree with cpu to float32 rounding):
 * - 1x1, stride 1, no padding: one matrix product, x^T (as [Cin, N*H*W]) · dy ([N*H*W, Cout]).
 * - the columns matrix at most 4M values: one product of the columns matrix ([K, P], built in
 *   one pass over x, see im2col.ts) with dy ([P, Cout]), giving dW as HWIO directly (1.4-3.7x
 *   the dilated convolution on R50x1's strided convolutions at 128 px, 2-3x the per-tap plan at
 *   4x4 px; since the columns are built row by row, also ahead of the per-tap plan at stride 1
 *   on 16x16 and 32x32 px: 13.9 → 12.1 and 22.0 → 14.8 ms a call, R50x1 at 128 px, batch 4).
 * - larger, stride 1 with up to 4096 output positions: one product per filter tap,
 *   each of a shifted slice of the (padded, transposed) input with dy.
 * - otherwise: one dilated convolution with the roles swapped. With x as a batch of Cin
 *   single-"image" inputs [Cin, H, W, N] and dy as a filter [oh, ow, N, Cout] dilated by
 *   the stride, a VALID-after-padding convolution gives dW as [Cin, kh, kw, Cout].
 */
import {
  BatchMatMul,
  Concat,
  Conv2D,
  Conv2DBackpropFilter,
  PadV2,
  Slice,
  Transpose,
} from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import {
  asWasmBackend,
  Intermediates,
  WASM_BACKEND_NAME,
  WasmKernelError,
  type WasmBackendLike,
} from './wasm-backend';
import { columnsShape, convInfoOf, isPointwise, type ConvInfo } from './conv-info';
import { im2colTransposed } from './im2col';

const KERNEL = Conv2DBackpropFilter;

/** Largest N*oh*ow for which the per-tap plan is used for a stride-1 k×k filter. */
const PER_TAP_MAX_POSITIONS = 4096;

/** The plans this kernel can use; exposed for tests and benchmarks. */
export type FilterGradPlan = 'gemm' | 'matmul' | 'taps' | 'dilated-conv';

/** Largest columns matrix (K·P values) the 'gemm' plan builds. */
const GEMM_MAX_COLUMNS = 1 << 22;

/** Picks the plan the kernel uses for a convolution (see the file comment). */
export function chooseFilterGradPlan(info: ConvInfo): FilterGradPlan {
  const { rows, positions } = columnsShape(info);
  const stride1 = info.strideHeight === 1 && info.strideWidth === 1;
  if (isPointwise(info)) return 'matmul';
  if (rows * positions <= GEMM_MAX_COLUMNS) return 'gemm';
  if (stride1 && positions <= PER_TAP_MAX_POSITIONS) return 'taps';
  return 'dilated-conv';
}

/** dW ([K, Cout], HWIO) = columns ([K, P], built from x) · dy ([P, Cout]). */
function viaGemm(x: TensorInfo, dy: TensorInfo, info: ConvInfo, ops: Intermediates): TensorInfo {
  const { rows, positions } = columnsShape(info);
  const cols = ops.output([rows, positions], 'float32');
  im2colTransposed(
    ops.backend.typedArrayFromHeap(x) as Float32Array,
    ops.backend.typedArrayFromHeap(cols) as Float32Array,
    info,
  );
  const b = ops.reshape(dy, [positions, info.outChannels]);
  return ops.run(BatchMatMul, { a: cols, b }, { transposeA: false, transposeB: false });
}

/** dW = x^T dy for a 1x1 stride-1 unpadded convolution. */
function viaMatMul(x: TensorInfo, dy: TensorInfo, info: ConvInfo, ops: Intermediates): TensorInfo {
  const positions = info.batchSize * info.inHeight * info.inWidth;
  const xt = ops.run(Transpose, { x }, { perm: [3, 0, 1, 2] });
  const a = ops.reshape(xt, [info.inChannels, positions]);
  const b = ops.reshape(dy, [positions, info.outChannels]);
  return ops.run(BatchMatMul, { a, b }, { transposeA: false, transposeB: false });
}

/** Pads x with the convolution's leading pads and enough trailing pads for every tap. */
function padForTaps(x: TensorInfo, info: ConvInfo, ops: Intermediates): TensorInfo {
  const { top, left } = info.padInfo;
  const needH = (info.outHeight - 1) * info.strideHeight + info.filterHeight;
  const needW = (info.outWidth - 1) * info.strideWidth + info.filterWidth;
  const bottom = Math.max(0, needH - top - info.inHeight);
  const right = Math.max(0, needW - left - info.inWidth);
  if (top === 0 && left === 0 && bottom === 0 && right === 0) return x;
  const paddings = [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
  return ops.run(PadV2, { x }, { paddings, constantValue: 0 });
}

/** dW[i, j] = slice_ij(x)^T dy for each tap (i, j) of a stride-1 filter. */
function viaTaps(x: TensorInfo, dy: TensorInfo, info: ConvInfo, ops: Intermediates): TensorInfo {
  const { batchSize: n, outHeight: oh, outWidth: ow, inChannels: cin, outChannels: cout } = info;
  const xt = ops.run(Transpose, { x: padForTaps(x, info, ops) }, { perm: [3, 0, 1, 2] });
  const b = ops.reshape(dy, [n * oh * ow, cout]);
  const taps: TensorInfo[] = [];
  for (let i = 0; i < info.filterHeight; i++) {
    for (let j = 0; j < info.filterWidth; j++) {
      const xs = ops.run(Slice, { x: xt }, { begin: [0, 0, i, j], size: [cin, n, oh, ow] });
      const a = ops.reshape(xs, [cin, n * oh * ow]);
      const ab = ops.run(BatchMatMul, { a, b }, { transposeA: false, transposeB: false });
      taps.push(ops.reshape(ab, [cin, cout]));
    }
  }
  if (taps.length === 1) return taps[0];
  // The wasm Concat kernel takes its inputs as an array (as the engine passes them).
  return ops.run(Concat, taps as unknown as Record<string, TensorInfo>, { axis: 0 });
}

/** dW via one dilated convolution with x and dy in each other's roles. */
function viaDilatedConv(
  x: TensorInfo,
  dy: TensorInfo,
  info: ConvInfo,
  ops: Intermediates,
): TensorInfo {
  const { top, left } = info.padInfo;
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  // Rows/columns the taps reach: (o - 1) * stride + k, starting at -top / -left.
  const bottom = (info.outHeight - 1) * sh + info.filterHeight - top - info.inHeight;
  const right = (info.outWidth - 1) * sw + info.filterWidth - left - info.inWidth;
  let input = x;
  if (bottom < 0 || right < 0) {
    // Trailing rows/columns no window reaches ('valid' with a remainder): drop them.
    const size = [
      info.batchSize,
      info.inHeight + Math.min(0, bottom),
      info.inWidth + Math.min(0, right),
      info.inChannels,
    ];
    input = ops.run(Slice, { x }, { begin: [0, 0, 0, 0], size });
  }
  const xt = ops.run(Transpose, { x: input }, { perm: [3, 1, 2, 0] });
  const filter = ops.run(Transpose, { x: dy }, { perm: [1, 2, 0, 3] });
  const pad = [
    [0, 0],
    [top, Math.max(0, bottom)],
    [left, Math.max(0, right)],
    [0, 0],
  ];
  const attrs: NamedAttrMap = {
    strides: [1, 1],
    pad,
    dataFormat: 'NHWC',
    dilations: [sh, sw],
    dimRoundingMode: null as unknown as string,
  };
  const dw = ops.run(Conv2D, { x: xt, filter }, attrs);
  return ops.run(Transpose, { x: dw }, { perm: [1, 2, 0, 3] });
}

/** Validates x and dy (float32) and computes the convolution's geometry. */
function filterConvInfo(x: TensorInfo, dy: TensorInfo, attrs: NamedAttrMap): ConvInfo {
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new WasmKernelError(`${KERNEL}: x and dy must be float32 (${x.dtype}, ${dy.dtype})`);
  }
  return convInfoOf(KERNEL, x.shape, attrs.filterShape as number[], dy, attrs);
}

/** Computes dW (shape `filterShape`, HWIO) of an NHWC conv2d from its input x and dy. */
export function conv2DBackpropFilterWasm(
  x: TensorInfo,
  dy: TensorInfo,
  attrs: NamedAttrMap,
  backend: WasmBackendLike,
  plan?: FilterGradPlan,
): TensorInfo {
  const info = filterConvInfo(x, dy, attrs);
  const ops = new Intermediates(backend);
  try {
    const chosen = plan ?? chooseFilterGradPlan(info);
    let dw: TensorInfo;
    if (chosen === 'gemm') dw = viaGemm(x, dy, info, ops);
    else if (chosen === 'matmul') dw = viaMatMul(x, dy, info, ops);
    else if (chosen === 'taps') dw = viaTaps(x, dy, info, ops);
    else dw = viaDilatedConv(x, dy, info, ops);
    const out = ops.reshape(dw, info.filterShape);
    ops.dispose([out]);
    return out;
  } catch (e) {
    ops.dispose();
    throw e;
  }
}

const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs;
  if (x == null || dy == null) throw new WasmKernelError(`${KERNEL}: inputs x and dy are required`);
  return conv2DBackpropFilterWasm(x, dy, attrs ?? {}, asWasmBackend(backend, KERNEL));
};

/** Kernel config: `Conv2DBackpropFilter` on the wasm backend. */
export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: KERNEL,
  backendName: WASM_BACKEND_NAME,
  kernelFunc,
};
