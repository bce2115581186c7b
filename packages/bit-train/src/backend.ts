/** Backend-specific set-up the training loop needs. */
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '@bit/layers/kernels';

/**
 * Makes the active backend able to train: on 'wasm', registers the gradient kernels of
 * `@bit/layers/kernels` (their owner) in case the application that picked the backend did not
 * (idempotent). Returns the kernels registered now.
 */
export function prepareBackendForTraining(): string[] {
  return tf.getBackend() === 'wasm' ? registerWasmTrainingKernels() : [];
}
