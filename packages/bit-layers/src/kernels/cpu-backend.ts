/**
 * The part of tfjs-backend-cpu's backend object that the cpu training kernels use, typed
 * structurally (libraries never import a backend package).
 */
import type { DataId, DataType, TensorInfo, TypedArray } from '@tensorflow/tfjs-core';
import { WasmKernelError } from './wasm-backend';

/** The name tfjs-backend-cpu registers its kernels under. */
export const CPU_BACKEND_NAME = 'cpu';

/** The methods of tfjs-backend-cpu's `MathBackendCPU` that the cpu training kernels call. */
export interface CpuBackendLike {
  /** The values of a tensor (the backend's own array for numeric data: do not write to it). */
  readSync(dataId: DataId): TypedArray | unknown;
  /** Wraps `values` (taken over, not copied) as a new tensor on the backend. */
  makeTensorInfo(shape: number[], dtype: DataType, values?: TypedArray): TensorInfo;
}

/** Checks that `backend` (as a kernel function receives it) looks like the cpu backend. */
export function asCpuBackend(backend: unknown, kernelName: string): CpuBackendLike {
  const b = backend as Partial<CpuBackendLike> | null;
  if (b == null || typeof b.readSync !== 'function' || typeof b.makeTensorInfo !== 'function') {
    throw new WasmKernelError(
      `${kernelName}: backend is not tfjs-backend-cpu (missing readSync/makeTensorInfo)`,
    );
  }
  return b as CpuBackendLike;
}

/** The float32 values of `info` on the cpu backend. */
export function cpuFloat32(
  backend: CpuBackendLike,
  info: TensorInfo,
  kernelName: string,
): Float32Array {
  const values = backend.readSync(info.dataId);
  if (!(values instanceof Float32Array)) {
    throw new WasmKernelError(`${kernelName}: expected float32 data, got ${info.dtype}`);
  }
  return values;
}
