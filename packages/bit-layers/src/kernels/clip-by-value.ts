/**
 * `ClipByValue` for int32 tensors on the wasm backend. tfjs-backend-wasm 4.22 clips every
 * tensor as float32, reading int32 bits as floats: `clipByValue(int32 [300], 0, 255)` stays
 * 300 and negative values come out as garbage. This one clips int32 values in plain JS over
 * the heap; float32 (where the native kernel is right) goes to the native kernel.
 */
import { ClipByValue } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { asWasmBackend, mapIntoNew, runNative, WASM_BACKEND_NAME } from './wasm-backend';

/** A `ClipByValue` right for int32; `native` (the backend's own kernel) clips other dtypes. */
export function makeClipByValueConfig(native: KernelFunc | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = (args.inputs as { x: TensorInfo }).x;
    if (x.dtype !== 'int32') return runNative(native, args, ClipByValue, x.dtype);
    const { clipValueMin: lo, clipValueMax: hi } = args.attrs as NamedAttrMap & {
      clipValueMin: number;
      clipValueMax: number;
    };
    // As tfjs-backend-cpu: min(max(v, lo), hi), then stored as int32.
    return mapIntoNew(x, 'int32', asWasmBackend(args.backend, ClipByValue), (v) =>
      Math.min(Math.max(v, lo), hi),
    );
  };
  return { kernelName: ClipByValue, backendName: WASM_BACKEND_NAME, kernelFunc };
}
