/**
 * A wasm `Conv2D` for the convolutions whose filter outweighs their activations (the deep
 * stages of a ResNet at small images): the columns matrix ([P, K], built in one pass over x)
 * times the HWIO filter read as `[K, Cout]`, on the backend's own XNNPACK matrix product.
 * The arithmetic is XNNPACK's in both cases (results are identical), but tfjs-wasm's
 * convolution re-packs a filter it has not seen at about 9 ns a weight, and in a training step
 * every standardised kernel is new: at 4x4 px the product runs 2-2.5x faster with a fresh
 * filter and the same with a cached one (measured). So the product runs a filter's first use
 * (each step's fresh standardised kernels); a filter used again (inference's cached kernels)
 * and everything else goes to the native kernel, which then keeps it packed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BatchMatMul, Conv2D } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import {
  asWasmBackend,
  Intermediates,
  runNative,
  WASM_BACKEND_NAME,
  WasmKernelError,
  type WasmBackendLike,
} from './wasm-backend';
import { columnsShape, filterOutweighsActivations, isPointwise, type ConvInfo } from './conv-info';
import { im2col } from './im2col';

const KERNEL = Conv2D;

/** How a convolution runs: the native XNNPACK convolution, or columns times filter. */
export type ForwardPlan = 'native' | 'gemm';

/**
 * 'gemm' for a dilation-1 convolution whose filter has at least as many rows K = kh·kw·Cin as
 * there are output positions P = N·oh·ow, 'native' otherwise.
 */
export function chooseForwardPlan(info: ConvInfo): ForwardPlan {
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return 'native';
  return filterOutweighsActivations(info) ? 'gemm' : 'native';
}

/** The convolution as one product (dilation 1, NHWC, float32). */
export function conv2DAsGemm(
  x: TensorInfo,
  filter: TensorInfo,
  info: ConvInfo,
  backend: WasmBackendLike,
): TensorInfo {
  const { rows, positions } = columnsShape(info);
  const ops = new Intermediates(backend);
  try {
    let a: TensorInfo;
    if (isPointwise(info)) a = ops.reshape(x, [positions, rows]);
    else {
      a = ops.output([positions, rows], 'float32');
      im2col(
        backend.typedArrayFromHeap(x) as Float32Array,
        backend.typedArrayFromHeap(a) as Float32Array,
        info,
      );
    }
    const b = ops.reshape(filter, [rows, info.outChannels]);
    const y = ops.run(BatchMatMul, { a, b }, { transposeA: false, transposeB: false });
    const out = ops.reshape(y, info.outShape);
    ops.dispose([out]);
    return out;
  } catch (e) {
    ops.dispose();
    throw e;
  }
}

/** Builds the kernel config; `native` (the backend's own kernel) runs what gemm does not. */
export function makeConv2DConfig(native: KernelFunc | undefined): KernelConfig {
  // Filters this kernel has run: from the second use on, tfjs-wasm's convolution has them packed.
  const seen = new WeakSet<object>();
  const kernelFunc: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const { x, filter } = inputs;
    if (x == null || filter == null) {
      throw new WasmKernelError(`${KERNEL}: inputs x and filter are required`);
    }
    const a = (attrs ?? {}) as NamedAttrMap & Record<string, unknown>;
    const nhwc = a.dataFormat == null || a.dataFormat === 'NHWC';
    const float = x.dtype === 'float32' && filter.dtype === 'float32';
    // A filter seen before is one XNNPACK has packed (inference's cached kernels): native,
    // decided before any geometry is computed (this is inference's hot path).
    const fresh = !seen.has(filter.dataId);
    if (fresh && float && nhwc && x.shape.length === 4 && filter.shape.length === 4) {
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filter.shape as [number, number, number, number],
        a.strides as number | [number, number],
        (a.dilations ?? 1) as number | [number, number],
        a.pad as 'same' | 'valid' | number,
        a.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
      );
      if (chooseForwardPlan(info) === 'gemm') {
        seen.add(filter.dataId);
        return conv2DAsGemm(x, filter, info, asWasmBackend(backend, KERNEL));
      }
    }
    return runNative(native, args, KERNEL, 'this convolution');
  };
  return { kernelName: KERNEL, backendName: WASM_BACKEND_NAME, kernelFunc };
}
