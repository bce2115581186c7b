/**
 * `ClipByValue` for int32 tensors on the wasm backend. tfjs-backend-wasm 4.22 clips every
 * tensor as float32, reading int32 bits as floats: `clipByValue(int32 [300], 0, 255)` stays
 * 300 and negative values come out as garbage. This one clips int32 values in plain JS over
 * the heap; float32 (where the native kernel is right) goes to the native kernel.
 */
import { ClipByValue } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { asWasmBackend, WASM_BACKEND_NAME, WasmKernelError } from './wasm-backend';

/** A `ClipByValue` right for int32; `native` (the backend's own kernel) clips other dtypes. */
export function makeClipByValueConfig(native: KernelFunc | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = (args.inputs as { x: TensorInfo }).x;
    if (x.dtype !== 'int32') {
      if (!native) throw new WasmKernelError(`${ClipByValue}: no native kernel for ${x.dtype}`);
      return native(args);
    }
    const { clipValueMin, clipValueMax } = args.attrs as NamedAttrMap & {
      clipValueMin: number;
      clipValueMax: number;
    };
    const backend = asWasmBackend(args.backend, ClipByValue);
    const out = backend.makeOutput([...x.shape], 'int32');
    // Views after the allocation: a growing heap invalidates earlier ones.
    const from = backend.typedArrayFromHeap(x);
    const into = backend.typedArrayFromHeap(out);
    // As tfjs-backend-cpu: min(max(v, lo), hi), then stored as int32.
    for (let i = 0; i < from.length; i++) {
      into[i] = Math.min(Math.max(from[i], clipValueMin), clipValueMax);
    }
    return out;
  };
  return { kernelName: ClipByValue, backendName: WASM_BACKEND_NAME, kernelFunc };
}
