/** The geometry of a 2-D convolution, as the gradient kernels need it, validated once for all. */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { WasmKernelError } from './wasm-backend';

/** tfjs's description of a 2-D convolution (shapes, strides, padding). */
export type ConvInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

/**
 * Validates a convolution gradient kernel's attributes (NHWC, rank-4 shapes) and computes the
 * geometry of the forward convolution of an input of `inShape` with a filter of `filterShape`;
 * `dy` must have the forward convolution's output shape.
 *
 * @throws WasmKernelError naming `kernelName` and what does not fit.
 */
export function convInfoOf(
  kernelName: string,
  inShape: readonly number[],
  filterShape: readonly number[],
  dy: TensorInfo,
  attrs: NamedAttrMap,
): ConvInfo {
  const { strides, pad, dataFormat, dimRoundingMode } = attrs as Record<string, unknown>;
  if (dataFormat != null && dataFormat !== 'NHWC') {
    throw new WasmKernelError(
      `${kernelName}: dataFormat '${String(dataFormat)}' unsupported (NHWC)`,
    );
  }
  if (inShape?.length !== 4 || filterShape?.length !== 4 || dy.shape.length !== 4) {
    throw new WasmKernelError(
      `${kernelName}: input [${inShape}], filter [${filterShape}] and dy [${dy.shape}] must be rank 4`,
    );
  }
  const info = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides as number | [number, number],
    1,
    pad as 'same' | 'valid' | number,
    dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
  if (!tf.util.arraysEqual(info.outShape, dy.shape)) {
    throw new WasmKernelError(
      `${kernelName}: dy shape [${dy.shape}] does not match the convolution output [${info.outShape}]`,
    );
  }
  return info;
}

/**
 * The shape of a convolution's columns matrix: `rows` K = kh·kw·Cin (one per filter tap and
 * input channel, the order of an HWIO filter's leading axes) and `positions` P = N·oh·ow.
 */
export function columnsShape(info: ConvInfo): { rows: number; positions: number } {
  return {
    rows: info.filterHeight * info.filterWidth * info.inChannels,
    positions: info.batchSize * info.outHeight * info.outWidth,
  };
}

/**
 * Whether the filter has at least as many rows K as the convolution has output positions P:
 * where packing a fresh filter costs more than the arithmetic, and the product plans run.
 */
export function filterOutweighsActivations(info: ConvInfo): boolean {
  const { rows, positions } = columnsShape(info);
  return rows >= positions;
}

/** Whether the convolution is 1x1, stride 1, unpadded: x itself is its columns matrix. */
export function isPointwise(info: ConvInfo): boolean {
  const { top, bottom, left, right } = info.padInfo;
  return (
    info.filterHeight === 1 &&
    info.filterWidth === 1 &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    top === 0 &&
    bottom === 0 &&
    left === 0 &&
    right === 0
  );
}
