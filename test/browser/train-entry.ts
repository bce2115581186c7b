/**
 * Browser entry of the training test (bundled by bundle.ts for platform 'browser'): exposes
 * `window.bitTrain.run(case, backend)`, which fine-tunes the shared tiny case with @bit/train's
 * built ESM on a tfjs backend and returns the losses of every step.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { OPTIONAL_BACKENDS } from 'bit-test:optional-backends';
import { runTrainCase, type TrainCase, type TrainCaseResult } from './train-fixture';

declare global {
  interface Window {
    bitTrain: {
      backends: string[];
      webgpuAdapter(): Promise<boolean>;
      run(c: TrainCase, backend: string): Promise<TrainCaseResult>;
    };
    bitTestError?: string;
  }
}

setWasmPaths(`${location.origin}/wasm/`);

window.bitTrain = {
  backends: ['cpu', 'wasm', ...OPTIONAL_BACKENDS],
  async webgpuAdapter() {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    return gpu !== undefined && (await gpu.requestAdapter()) !== null;
  },
  async run(c, backend) {
    if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
    await tf.ready();
    return runTrainCase(c);
  },
};
