/**
 * The part of tfjs-backend-wasm's backend object that the training kernels use, typed
 * structurally (libraries never import a backend package), and helpers to run the wasm
 * backend's own kernels from inside another kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Reshape } from '@tensorflow/tfjs-core';
import { BitLayersError } from '../errors';
import type {
  DataId,
  DataType,
  KernelFunc,
  NamedAttrMap,
  TensorInfo,
  TypedArray,
} from '@tensorflow/tfjs-core';

/** The name tfjs-backend-wasm registers its kernels under. */
export const WASM_BACKEND_NAME = 'wasm';

/**
 * Thrown when a training kernel gets a backend, input or attribute it cannot handle: a bug or
 * an unsupported set-up, not the user's input (`inputError` is false).
 */
export class WasmKernelError extends BitLayersError {
  constructor(message: string) {
    super(message, { inputError: false });
    this.name = 'WasmKernelError';
  }
}

/** The methods of tfjs-backend-wasm's `BackendWasm` that the training kernels call. */
export interface WasmBackendLike {
  /** Allocates an (uninitialised) output on the wasm heap. */
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  /** A view of a tensor's bytes on the wasm heap (invalidated when the heap grows). */
  typedArrayFromHeap(info: TensorInfo): TypedArray;
  /** Drops one reference to `dataId`, freeing the memory at zero. */
  disposeData(dataId: DataId, force?: boolean): boolean;
  /** Adds a reference to `dataId` (tensors sharing memory, as `Reshape` does); not checked by {@link asWasmBackend}. */
  incRef?(dataId: DataId): void;
}

/** Checks that `backend` (as a kernel function receives it) looks like the wasm backend. */
export function asWasmBackend(backend: unknown, kernelName: string): WasmBackendLike {
  const b = backend as Partial<WasmBackendLike> | null;
  if (
    b == null ||
    typeof b.makeOutput !== 'function' ||
    typeof b.typedArrayFromHeap !== 'function' ||
    typeof b.disposeData !== 'function'
  ) {
    throw new WasmKernelError(
      `${kernelName}: backend is not tfjs-backend-wasm (missing makeOutput/typedArrayFromHeap/disposeData)`,
    );
  }
  return b as WasmBackendLike;
}

/**
 * Hands a call this kernel does not cover to `native` (the backend's own kernel it replaced);
 * `what` says which case it is, for the error when there is no native kernel.
 */
export function runNative(
  native: KernelFunc | undefined,
  args: Parameters<KernelFunc>[0],
  kernelName: string,
  what: string,
): ReturnType<KernelFunc> {
  if (native == null) throw new WasmKernelError(`${kernelName}: no native kernel for ${what}`);
  return native(args);
}

/**
 * A new `dtype` tensor of `x`'s shape on the heap whose element i is `f(x[i])` (stored with the
 * output array's conversion: truncation for int32).
 */
export function mapIntoNew(
  x: TensorInfo,
  dtype: DataType,
  backend: WasmBackendLike,
  f: (v: number) => number,
): TensorInfo {
  const out = backend.makeOutput([...x.shape], dtype);
  // Views after the allocation: a growing heap invalidates earlier ones.
  const from = backend.typedArrayFromHeap(x);
  const into = backend.typedArrayFromHeap(out);
  for (let i = 0; i < from.length; i++) into[i] = f(from[i] as number);
  return out;
}

/**
 * Runs the kernel `kernelName` registered for the wasm backend on tensor infos (no engine,
 * no tape); the caller owns the result and disposes it with `backend.disposeData`.
 */
export function runWasmKernel(
  kernelName: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap,
  backend: WasmBackendLike,
): TensorInfo {
  const config = tf.getKernel(kernelName, WASM_BACKEND_NAME);
  if (config == null) {
    throw new WasmKernelError(`kernel '${kernelName}' is not registered for backend 'wasm'`);
  }
  const out = config.kernelFunc({ inputs, backend: backend as object, attrs });
  if (Array.isArray(out)) {
    throw new WasmKernelError(`kernel '${kernelName}' returned ${out.length} outputs, expected 1`);
  }
  return out;
}

/** Tracks intermediate results of a kernel and frees them all at once. */
export class Intermediates {
  private readonly infos: TensorInfo[] = [];

  /** The backend the intermediates live on. */
  constructor(readonly backend: WasmBackendLike) {}

  /** Runs a wasm kernel and remembers its output for {@link Intermediates.dispose}. */
  run(kernelName: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap): TensorInfo {
    const out = runWasmKernel(kernelName, inputs, attrs, this.backend);
    this.infos.push(out);
    return out;
  }

  /** Allocates an uninitialised output on the heap, freed by {@link Intermediates.dispose}. */
  output(shape: number[], dtype: DataType): TensorInfo {
    const out = this.backend.makeOutput(shape, dtype);
    this.infos.push(out);
    return out;
  }

  /** A reshaped view of `x` (shares its data; counted as an intermediate). */
  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run(Reshape, { x }, { shape });
  }

  /** Frees every intermediate except those in `keep`. */
  dispose(keep: TensorInfo[] = []): void {
    for (const info of this.infos) {
      if (!keep.includes(info)) this.backend.disposeData(info.dataId);
    }
    this.infos.length = 0;
  }
}
