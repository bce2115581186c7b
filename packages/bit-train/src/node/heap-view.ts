/**
 * Zero-copy access to a float32 tensor's values on the wasm backend (its `typedArrayFromHeap`,
 * what its kernels use), so data-parallel steps copy weights and gradients once, straight
 * between the wasm heap and shared memory. Other backends: undefined (callers copy).
 */
import * as tf from '@tensorflow/tfjs-core';

interface HeapBackend {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  dataIdMap: { has(dataId: object): boolean };
}

/**
 * A view of `t`'s values in the wasm heap, or undefined when `t` is not a float32 tensor of the
 * active wasm backend. Valid until the next allocation (the heap may grow): use it at once.
 * Read it only: other tensors may share the data (a reshape, an identity).
 */
export function heapView(t: tf.Tensor): Float32Array | undefined {
  if (t.dtype !== 'float32' || tf.getBackend() !== 'wasm') return undefined;
  const b = tf.backend() as unknown as Partial<HeapBackend>;
  if (typeof b.typedArrayFromHeap !== 'function' || !b.dataIdMap?.has(t.dataId)) return undefined;
  return b.typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
}

/** Copies `t`'s values into `out` at `offset` (from the heap on wasm, else via dataSync). */
export function copyOut(t: tf.Tensor, out: Float32Array, offset: number): void {
  out.set(heapView(t) ?? (t.dataSync() as Float32Array), offset);
}

/**
 * A float32 tensor of `view`'s current values (a view of shared memory that its writer will
 * overwrite): wasm copies the values into its heap when the tensor is made; other backends keep
 * the array they are given, so it is copied first.
 */
export function tensorOfView(view: Float32Array, shape: readonly number[]): tf.Tensor {
  const kept = tf.getBackend() === 'wasm' ? view : view.slice();
  return tf.tensor(kept, [...shape], 'float32');
}
