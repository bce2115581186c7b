/**
 * @bit/layers/kernels: the training kernels tfjs-backend-wasm 4.22 lacks or gets wrong
 * (`Conv2DBackpropFilter`, `MaxPoolGrad`, `Cast` to bool, int32 `ClipByValue`) or runs too slowly (`Conv2DBackpropInput`, `Conv2D`,
 * `Identity`, same-dtype `Cast`), registered by whoever picks the backend (an application, a test): import
 * `@tensorflow/tfjs-backend-wasm`, then call `registerWasmTrainingKernels()`. Works through
 * tfjs-core's kernel registry only; it never imports a backend. `registerCpuTrainingKernels()`
 * does the same for tfjs-backend-cpu (a fast `Conv2DBackpropFilter`).
 */
export {
  registerCpuTrainingKernels,
  CPU_TRAINING_KERNEL_NAMES,
  registerWasmTrainingKernels,
  WASM_TRAINING_KERNEL_NAMES,
  type WasmTrainingKernelOptions,
} from './register';
export { WasmKernelError } from './wasm-backend';
