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
