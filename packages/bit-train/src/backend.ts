/** Backend-specific set-up the training loop needs. */
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from './kernels/register';

/**
 * Makes the active backend able to train: on 'wasm', registers the gradient kernels that
 * tfjs-backend-wasm 4.22 lacks or gets wrong (idempotent). Returns the kernels registered now.
 */
export function prepareBackendForTraining(): string[] {
  return tf.getBackend() === 'wasm' ? registerWasmTrainingKernels() : [];
}
