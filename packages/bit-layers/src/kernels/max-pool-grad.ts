/**
 * `MaxPoolGrad` for the wasm backend. tfjs-backend-wasm 4.22's own kernel returns wrong
 * values, without an error, when a window holds only negative inputs (as after BiT's root
 * zero-pad + MaxPool 3x3/2 VALID), so this one replaces it.
 *
 * Semantics are cpu's exactly: each output's gradient goes to the first (row-major) position
 * of the largest input in its window (ties go to the earliest; padded positions never count),
 * and contributions to one input are summed in float64 in row-major output order, so results
 * are bit-identical to the cpu backend. A plain loop over the heap arrays: cheap next to convs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MaxPoolGrad } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import {
  asWasmBackend,
  WASM_BACKEND_NAME,
  WasmKernelError,
  type WasmBackendLike,
} from './wasm-backend';

const KERNEL = MaxPoolGrad;

/** Computes dx of an NHWC 2-D max pool from its input and dy; returns a new heap tensor. */
export function maxPoolGradWasm(
  dy: TensorInfo,
  input: TensorInfo,
  attrs: NamedAttrMap,
  backend: WasmBackendLike,
): TensorInfo {
  const { filterSize, strides, pad, dimRoundingMode } = attrs as Record<string, unknown>;
  if (input.shape.length !== 4 || dy.shape.length !== 4) {
    throw new WasmKernelError(
      `${KERNEL}: input [${input.shape}] and dy [${dy.shape}] must be rank 4 (NHWC)`,
    );
  }
  if (input.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new WasmKernelError(
      `${KERNEL}: input and dy must be float32 (${input.dtype}, ${dy.dtype})`,
    );
  }
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize as number | [number, number],
    strides as number | [number, number],
    1,
    pad as 'same' | 'valid' | number,
    dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
  if (!tf.util.arraysEqual(info.outShape, dy.shape)) {
    throw new WasmKernelError(
      `${KERNEL}: dy shape [${dy.shape}] does not match the pool output [${info.outShape}]`,
    );
  }
  const out = backend.makeOutput(input.shape.slice(), 'float32');
  // Views only after the allocation: growing the heap detaches older views.
  const x = backend.typedArrayFromHeap(input);
  const g = backend.typedArrayFromHeap(dy);
  // Sums in float64 and rounds once at the end, as cpu does.
  const acc = new Float64Array(x.length);

  const { inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;
  // Per output position, the window's pixels in row-major order, each over the channels at
  // once (contiguous reads); a strictly larger value moves the argmax, so ties keep the
  // earliest, and every output adds to its input in row-major output order, as before.
  const best = new Float32Array(c);
  const at = new Int32Array(c);
  for (let b = 0; b < info.batchSize; b++) {
    const xBatch = b * h * w * c;
    for (let yr = 0; yr < oh; yr++) {
      const r0 = yr * sh - top;
      const rMin = Math.max(0, r0);
      const rMax = Math.min(h, r0 + kh);
      for (let yc = 0; yc < ow; yc++) {
        const c0 = yc * sw - left;
        const cMin = Math.max(0, c0);
        const cMax = Math.min(w, c0 + kw);
        const gBase = ((b * oh + yr) * ow + yc) * c;
        best.fill(Number.NEGATIVE_INFINITY);
        at.fill(-1);
        for (let r = rMin; r < rMax; r++) {
          for (let col = cMin; col < cMax; col++) {
            const base = xBatch + (r * w + col) * c;
            for (let d = 0; d < c; d++) {
              const v = x[base + d];
              if (v > best[d]) {
                best[d] = v;
                at[d] = base + d;
              }
            }
          }
        }
        for (let d = 0; d < c; d++) if (at[d] >= 0) acc[at[d]] += g[gBase + d];
      }
    }
  }
  backend.typedArrayFromHeap(out).set(acc);
  return out;
}

const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs;
  if (dy == null || input == null) {
    throw new WasmKernelError(`${KERNEL}: inputs dy and input are required`);
  }
  return maxPoolGradWasm(dy, input, attrs ?? {}, asWasmBackend(backend, KERNEL));
};

/** Kernel config: a correct `MaxPoolGrad` on the wasm backend (replaces the native one). */
export const maxPoolGradConfig: KernelConfig = {
  kernelName: KERNEL,
  backendName: WASM_BACKEND_NAME,
  kernelFunc,
};
