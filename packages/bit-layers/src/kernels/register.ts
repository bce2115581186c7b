/**
 * Registers the kernels that full fine-tuning needs on tfjs-backend-wasm 4.22 and that it
 * lacks, gets wrong or runs far too slowly. Works only through the kernel registry (never
 * imports the backend).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Cast,
  ClipByValue,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  Identity,
  MaxPoolGrad,
  type KernelConfig,
  type KernelFunc,
} from '@tensorflow/tfjs-core';
import { makeConv2DConfig } from './conv2d';
import { makeConv2DBackpropInputConfig } from './conv2d-backprop-input';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter';
import { makeCastConfig, makeIdentityConfig } from './identity';
import { makeClipByValueConfig } from './clip-by-value';
import { maxPoolGradConfig } from './max-pool-grad';
import { conv2DBackpropFilterCpuConfig } from './conv2d-backprop-filter-cpu';
import { CPU_BACKEND_NAME } from './cpu-backend';
import { WASM_BACKEND_NAME } from './wasm-backend';

/** Why a training kernel is registered, which decides what happens to a native one. */
type Reason =
  /** The backend lacks it: a native one (a later tfjs) is kept. */
  | 'missing'
  /** The native one is wrong: it is replaced. */
  | 'wrong'
  /** The native one is correct but slow: replaced, and handed the cases ours does not cover. */
  | 'slow';

/** One training kernel: its name, why, and how to build it given the native kernel. */
interface TrainingKernel {
  kernelName: string;
  reason: Reason;
  make(native: KernelFunc | undefined): KernelConfig;
}

const TRAINING_KERNELS: readonly TrainingKernel[] = [
  // Missing in tfjs-backend-wasm 4.22 (tensorflow/tfjs#8474).
  {
    kernelName: Conv2DBackpropFilter,
    reason: 'missing',
    make: () => conv2DBackpropFilterConfig,
  },
  // The native one gives wrong gradients when a window has only negative inputs.
  { kernelName: MaxPoolGrad, reason: 'wrong', make: () => maxPoolGradConfig },
  // The native one is a plain loop; every stride runs as XNNPACK convolutions instead.
  {
    kernelName: Conv2DBackpropInput,
    reason: 'slow',
    make: (native) => makeConv2DBackpropInputConfig(native),
  },
  // The native one re-packs every filter it has not seen (each step's standardised kernels):
  // where the filter outweighs the activations, columns times filter instead.
  {
    kernelName: Conv2D,
    reason: 'slow',
    make: (native) => makeConv2DConfig(native),
  },
  // The native one copies; the gradient tape runs it hundreds of times a step.
  {
    kernelName: Identity,
    reason: 'slow',
    make: (native) => makeIdentityConfig(native),
  },
  // The native one casts to bool by assignment (2 -> 2, 0.5 -> false), and copies also when
  // the dtype stays (gradients cast float32 to float32 ~930 times a step).
  {
    kernelName: Cast,
    reason: 'wrong',
    make: (native) => makeCastConfig(native),
  },
  // The native one clips int32 tensors as float32 bits (an int32 300 clipped to 255 stays 300).
  {
    kernelName: ClipByValue,
    reason: 'wrong',
    make: (native) => makeClipByValueConfig(native),
  },
];

/** Kernel functions this module registered, to recognise them on a later call. */
const ours = new WeakSet<KernelFunc>();

/** Names of the kernels {@link registerWasmTrainingKernels} can register. */
export const WASM_TRAINING_KERNEL_NAMES: readonly string[] = TRAINING_KERNELS.map(
  (k) => k.kernelName,
);

/** Options of {@link registerWasmTrainingKernels}. */
export interface WasmTrainingKernelOptions {
  /**
   * Also replace native kernels that are correct but slow: `Conv2DBackpropInput` (as one
   * XNNPACK convolution per stride phase, or one product where the filter outweighs the
   * activations; dilated ones still use the native kernel), `Conv2D` (one product where the
   * filter outweighs the activations, the native convolution otherwise), `Identity` and
   * `Cast` to the same dtype (share their input's data instead of copying it). Default true.
   */
  replaceSlow?: boolean;
}

/**
 * Makes gradient-based training correct (and usably fast) on the wasm backend by registering,
 * for backend 'wasm': `Conv2DBackpropFilter` (missing natively, so no conv weight had a
 * gradient), a correct `MaxPoolGrad` (the native one is wrong when a window holds only negative
 * values), a `Cast` to bool that gives `x != 0` and a `ClipByValue` that clips int32 (both
 * wrong natively) and, unless `replaceSlow` is false, a `Conv2DBackpropInput` on XNNPACK (any
 * stride), a `Conv2D` that does not re-pack fresh filters in the deep stages, and an `Identity`
 * and a same-dtype `Cast` that do not copy.
 *
 * Call it after `@tensorflow/tfjs-backend-wasm` has been imported (importing the backend
 * registers its kernels and would overwrite these); the backend need not be initialised yet.
 * Idempotent: kernels registered by an earlier call are left alone, and a kernel the backend
 * has natively is kept unless it is known to be wrong (or slow, with `replaceSlow`).
 *
 * @returns the names of the kernels this call registered (empty when all were in place).
 */
export function registerWasmTrainingKernels(options: WasmTrainingKernelOptions = {}): string[] {
  return registerAll(TRAINING_KERNELS, WASM_BACKEND_NAME, options.replaceSlow ?? true);
}

const CPU_TRAINING_KERNELS: readonly TrainingKernel[] = [
  // The native one reads strided and ran at a few percent of the forward convolution's speed.
  {
    kernelName: Conv2DBackpropFilter,
    reason: 'slow',
    make: () => conv2DBackpropFilterCpuConfig,
  },
];

/** Names of the kernels {@link registerCpuTrainingKernels} can register. */
export const CPU_TRAINING_KERNEL_NAMES: readonly string[] = CPU_TRAINING_KERNELS.map(
  (k) => k.kernelName,
);

/**
 * Makes training on tfjs-backend-cpu usably fast by registering, for backend 'cpu', a
 * `Conv2DBackpropFilter` that runs at about the forward convolution's speed (the native one
 * took over 90% of a training step). Call it after `@tensorflow/tfjs-backend-cpu` has been
 * imported; idempotent, like {@link registerWasmTrainingKernels}.
 *
 * @returns the names of the kernels this call registered (empty when all were in place).
 */
export function registerCpuTrainingKernels(): string[] {
  return registerAll(CPU_TRAINING_KERNELS, CPU_BACKEND_NAME, true);
}

function registerAll(
  kernels: readonly TrainingKernel[],
  backendName: string,
  replaceSlow: boolean,
): string[] {
  const registered: string[] = [];
  for (const kernel of kernels) {
    const existing = tf.getKernel(kernel.kernelName, backendName);
    if (existing != null) {
      if (ours.has(existing.kernelFunc)) continue;
      const replace = kernel.reason === 'wrong' || (kernel.reason === 'slow' && replaceSlow);
      if (!replace) continue;
      tf.unregisterKernel(kernel.kernelName, backendName);
    }
    const config: KernelConfig = { ...kernel.make(existing?.kernelFunc) };
    if (kernel.reason === 'slow' && existing != null) {
      // The native kernel still serves some cases: keep its setup (run on backend init).
      config.setupFunc = existing.setupFunc;
      config.disposeFunc = existing.disposeFunc;
    }
    ours.add(config.kernelFunc);
    tf.registerKernel(config);
    registered.push(kernel.kernelName);
  }
  return registered;
}
