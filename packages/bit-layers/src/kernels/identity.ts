/**
 * `Identity`, and `Cast` to the tensor's own dtype, for the wasm backend without a copy (and
 * `Cast` to bool made right, see {@link makeCastConfig}). tfjs-backend-wasm 4.22's own kernels
 * copy the tensor's bytes into a new heap buffer; a training step calls Identity hundreds of
 * times (the gradient tape passes gradients through it), about 50 ms a step for R50x1 at
 * 128 px, batch 4, and casts float32 to float32 about 930 times (the ReLU and Identity
 * gradients and tfjs-core's gradient code: 25M values, 100 MB copied a step). Tensors are
 * immutable, so these share the input's data and add a reference, as the backend's own
 * `Reshape` does and as tfjs-backend-cpu's `Identity` and same-dtype `Cast` do. Code that
 * writes into a tensor's heap memory must check that it holds the only reference, as it must
 * already for reshaped tensors.
 */
import { Cast, Identity } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import {
  asWasmBackend,
  mapIntoNew,
  runNative,
  WASM_BACKEND_NAME,
  type WasmBackendLike,
} from './wasm-backend';

/** `x` as a new tensor info on the same data (one more reference), or null where it cannot be. */
function shareData(x: TensorInfo, backend: unknown): TensorInfo | null {
  const b = backend as Pick<WasmBackendLike, 'incRef'>;
  if (x.dtype === 'string' || typeof b.incRef !== 'function') return null;
  b.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * An `Identity` sharing its input's data; `native` (the backend's own kernel) serves string
 * tensors, and every tensor on a backend without `incRef`.
 */
export function makeIdentityConfig(native: KernelFunc | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = (args.inputs as { x: TensorInfo }).x;
    return shareData(x, args.backend) ?? runNative(native, args, Identity, `a ${x.dtype} tensor`);
  };
  return { kernelName: Identity, backendName: WASM_BACKEND_NAME, kernelFunc };
}

/**
 * `Cast` on wasm: shares its input's data when the dtype does not change, and casts to bool as
 * `x != 0` (tfjs-backend-wasm 4.22's kernel assigns the values into a Uint8Array, so 2 stays 2,
 * -1 becomes 255 and 0.5 becomes 0 — false); `native` (the backend's own kernel) does every
 * other conversion and serves string tensors.
 */
export function makeCastConfig(native: KernelFunc | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = (args.inputs as { x: TensorInfo }).x;
    const to = (args.attrs as NamedAttrMap | undefined)?.dtype;
    const shared = to === x.dtype ? shareData(x, args.backend) : null;
    if (shared) return shared;
    if (to === 'bool' && (x.dtype === 'float32' || x.dtype === 'int32')) {
      return mapIntoNew(x, 'bool', asWasmBackend(args.backend, Cast), (v) => (v !== 0 ? 1 : 0));
    }
    return runNative(native, args, Cast, `${x.dtype} to ${String(to)}`);
  };
  return { kernelName: Cast, backendName: WASM_BACKEND_NAME, kernelFunc };
}
