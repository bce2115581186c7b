/**
 * `Identity` for the wasm backend without a copy. tfjs-backend-wasm 4.22's own kernel copies
 * the tensor's bytes into a new heap buffer; a training step calls it hundreds of times (the
 * gradient tape passes gradients through it), about 50 ms a step for R50x1 at 128 px, batch 4.
 * Tensors are immutable, so this one shares the input's data and adds a reference, as the
 * backend's own `Reshape` does and as tfjs-backend-cpu's `Identity` does. Code that writes into
 * a tensor's heap memory must check that it holds the only reference, as it must already for
 * reshaped tensors.
 */
import { Identity } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { WASM_BACKEND_NAME, WasmKernelError, type WasmBackendLike } from './wasm-backend';

/**
 * An `Identity` sharing its input's data; `native` (the backend's own kernel) serves string
 * tensors, and every tensor on a backend without `incRef`.
 */
export function makeIdentityConfig(native: KernelFunc | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = (args.inputs as { x: TensorInfo }).x;
    const backend = args.backend as Pick<WasmBackendLike, 'incRef'>;
    if (x.dtype === 'string' || typeof backend.incRef !== 'function') {
      if (!native) {
        throw new WasmKernelError(`${Identity}: no native kernel for a ${x.dtype} tensor`);
      }
      return native(args);
    }
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  return { kernelName: Identity, backendName: WASM_BACKEND_NAME, kernelFunc };
}
