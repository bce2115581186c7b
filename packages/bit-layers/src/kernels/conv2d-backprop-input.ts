/**
 * A faster `Conv2DBackpropInput` for the wasm backend. tfjs-backend-wasm 4.22's own kernel is
 * correct but a plain loop, 5-10x slower than the forward XNNPACK convolution; for stride 1
 * (most of BiT's convolutions) dx is itself a convolution, of dy padded by (k - 1 - pad) with
 * the filter rotated by 180 degrees and its in/out channels swapped, which this kernel runs
 * on the backend's XNNPACK `Conv2D`. Strided convolutions go to the native kernel.
 */
import { Conv2D, Conv2DBackpropInput, Reverse, Transpose } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import {
  asWasmBackend,
  Intermediates,
  WASM_BACKEND_NAME,
  WasmKernelError,
  type WasmBackendLike,
} from './wasm-backend';
import { convInfoOf, type ConvInfo } from './conv-info';

const KERNEL = Conv2DBackpropInput;

/** Whether dx of this convolution can be computed as a stride-1 convolution here. */
export function canRunAsConvolution(info: ConvInfo): boolean {
  const { top, bottom, left, right } = info.padInfo;
  return (
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    Math.max(top, bottom) < info.filterHeight &&
    Math.max(left, right) < info.filterWidth
  );
}

/** dx of a stride-1 NHWC convolution as a convolution of dy with the rotated filter. */
export function conv2DBackpropInputAsConv(
  dy: TensorInfo,
  filter: TensorInfo,
  info: ConvInfo,
  backend: WasmBackendLike,
): TensorInfo {
  const ops = new Intermediates(backend);
  try {
    const { top, bottom, left, right } = info.padInfo;
    const kh = info.filterHeight;
    const kw = info.filterWidth;
    let rotated = filter;
    if (kh > 1 || kw > 1) rotated = ops.run(Reverse, { x: filter }, { dims: [0, 1] });
    const swapped = ops.run(Transpose, { x: rotated }, { perm: [0, 1, 3, 2] });
    const pad = [
      [0, 0],
      [kh - 1 - top, kh - 1 - bottom],
      [kw - 1 - left, kw - 1 - right],
      [0, 0],
    ];
    const attrs: NamedAttrMap = { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1] };
    const dx = ops.run(Conv2D, { x: dy, filter: swapped }, attrs);
    ops.dispose([dx]);
    return dx;
  } catch (e) {
    ops.dispose();
    throw e;
  }
}

/**
 * Builds the kernel config; `fallback` (the backend's native kernel) handles what this one
 * does not (strided convolutions).
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
      return conv2DBackpropInputAsConv(dy, filter, info, wasm);
    }
    if (fallback == null) {
      throw new WasmKernelError(
        `${KERNEL}: no native kernel for strides [${info.strideHeight}, ${info.strideWidth}]`,
      );
    }
    return fallback(args);
  };
  return { kernelName: KERNEL, backendName: WASM_BACKEND_NAME, kernelFunc };
}
