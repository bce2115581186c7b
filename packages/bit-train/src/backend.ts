/** Backend-specific set-up the training loop needs. */
import * as tf from '@tensorflow/tfjs-core';
import { registerCpuTrainingKernels, registerWasmTrainingKernels } from '@bit/layers/kernels';

/**
 * Makes the active backend able to train (fast): on 'wasm' and 'cpu', registers the gradient
 * kernels of `@bit/layers/kernels` (their owner) in case the application that picked the
 * backend did not (idempotent). Returns the kernels registered now.
 */
export function prepareBackendForTraining(): string[] {
  const backend = tf.getBackend();
  if (backend === 'wasm') return registerWasmTrainingKernels();
  if (backend === 'cpu') return registerCpuTrainingKernels();
  return [];
}
