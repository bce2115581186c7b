/**
 * A faster `Conv2DBackpropInput` for the wasm backend. tfjs-backend-wasm 4.22's own kernel is
 * correct but a plain loop, 5-10x slower than the forward XNNPACK convolution; for stride 1
 * (most of BiT's convolutions) dx is itself a convolution, of dy padded by (k - 1 - pad) with
 * the filter rotated by 180 degrees and its in/out channels swapped, which this kernel runs
 * on the backend's XNNPACK `Conv2D`. Strided convolutions go to the native kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import {
  asWasmBackend,
  Intermediates,
  WASM_BACKEND_NAME,
  WasmKernelError,
  type WasmBackendLike,
} from './wasm-backend';

const KERNEL = 'Conv2DBackpropInput';

type ConvInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

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

/** Geometry of the forward convolution whose dx is asked for, validated. */
function convInfoOf(dy: TensorInfo, filter: TensorInfo, attrs: NamedAttrMap): ConvInfo {
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as Record<
    string,
    unknown
  >;
  if (dataFormat != null && dataFormat !== 'NHWC') {
    throw new WasmKernelError(`${KERNEL}: dataFormat '${String(dataFormat)}' unsupported (NHWC)`);
  }
  if (dy.shape.length !== 4 || filter.shape.length !== 4) {
    throw new WasmKernelError(
      `${KERNEL}: dy [${dy.shape}] and filter [${filter.shape}] must be rank 4`,
    );
  }
  const info = tf.backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    strides as number | [number, number],
    1,
    pad as 'same' | 'valid' | number,
    dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
  if (!tf.util.arraysEqual(info.outShape, dy.shape)) {
    throw new WasmKernelError(
      `${KERNEL}: dy shape [${dy.shape}] does not match the convolution output [${info.outShape}]`,
    );
  }
  return info;
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
    if (kh > 1 || kw > 1) rotated = ops.run('Reverse', { x: filter }, { dims: [0, 1] });
    const swapped = ops.run('Transpose', { x: rotated }, { perm: [0, 1, 3, 2] });
    const pad = [
      [0, 0],
      [kh - 1 - top, kh - 1 - bottom],
      [kw - 1 - left, kw - 1 - right],
      [0, 0],
    ];
    const attrs: NamedAttrMap = { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1] };
    const dx = ops.run('Conv2D', { x: dy, filter: swapped }, attrs);
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
    const info = convInfoOf(dy, filter, attrs ?? {});
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
