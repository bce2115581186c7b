/**
 * Where a BiT model's time goes, for `bit bench`: the model's convolutions, GroupNorms and
 * (in training) weight standardisations are found by running it once with their layers'
 * `call` wrapped to record shapes, then each is replayed on its own, in the same process and
 * on the same backend, to time it. What the pass costs beyond the sum of its parts is the
 * glue (ReLU, padding, residual adds, pooling, the head, and tfjs's own bookkeeping).
 *
 * FLOPs count multiply-adds as 2 (convolutions and the head); a training step is counted as
 * 3x the forward FLOPs (forward, input gradient, weight gradient), the usual convention.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { groupNorm, standardizeKernel } from '@bit/layers';

/** One convolution of the model, as it ran. */
export interface ConvCall {
  input: [number, number, number, number];
  filter: [number, number, number, number];
  strides: [number, number];
  /** Multiply-adds x 2 for the whole batch. */
  flops: number;
}

/** One GroupNorm of the model, as it ran. */
export interface NormCall {
  input: number[];
  groups: number;
  eps: number;
}

/** What ran in one forward pass. */
export interface ModelCalls {
  convs: ConvCall[];
  norms: NormCall[];
  /** Forward FLOPs of the whole batch (convolutions and dense layers). */
  flops: number;
}

interface LayerWithCall {
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
  getWeights(): tf.Tensor[];
}

const first = (t: tf.Tensor | tf.Tensor[]): tf.Tensor => (Array.isArray(t) ? t[0] : t);

/** Runs `model.predict(x)` once with its conv, GroupNorm and dense layers recording shapes. */
export function recordCalls(model: tfl.LayersModel, x: tf.Tensor4D): ModelCalls {
  const calls: ModelCalls = { convs: [], norms: [], flops: 0 };
  const restore: Array<() => void> = [];
  for (const layer of model.layers as unknown as LayerWithCall[]) {
    const kind = layer.getClassName();
    if (kind !== 'StandardizedConv2D' && kind !== 'GroupNormalization' && kind !== 'Dense') {
      continue;
    }
    const original = layer.call.bind(layer);
    const config = layer.getConfig();
    layer.call = (inputs, kwargs) => {
      const input = first(inputs);
      const out = original(inputs, kwargs);
      const y = first(out);
      if (kind === 'StandardizedConv2D') {
        const kernel = layer.getWeights()[0];
        const filter = kernel.shape as [number, number, number, number];
        const flops = 2 * y.size * filter[0] * filter[1] * filter[2];
        calls.convs.push({
          input: input.shape as [number, number, number, number],
          filter,
          strides: config.strides as [number, number],
          flops,
        });
        calls.flops += flops;
      } else if (kind === 'GroupNormalization') {
        calls.norms.push({
          input: [...input.shape],
          groups: config.groups as number,
          eps: config.epsilon as number,
        });
      } else {
        calls.flops += 2 * input.size * (y.shape[y.rank - 1] as number);
      }
      return out;
    };
    restore.push(() => {
      layer.call = original;
    });
  }
  try {
    tf.dispose(model.predict(x) as tf.Tensor);
  } finally {
    for (const r of restore) r();
  }
  return calls;
}

/**
 * Median seconds of `fn` over `reps` runs. The Node backends (cpu, wasm, tfjs-node) run
 * kernels synchronously, so the time is taken when `fn` returns; results are not downloaded
 * (a download of a large tensor from wasm costs more than most kernels).
 */
async function timeIt(fn: () => tf.Tensor | tf.Tensor[], reps: number): Promise<number> {
  const once = async () => {
    const t0 = performance.now();
    const out = fn();
    const dt = (performance.now() - t0) / 1000;
    tf.dispose(out);
    await Promise.resolve();
    return dt;
  };
  await once(); // warm-up: kernel set-up, XNNPACK operator creation for a new filter
  const times: number[] = [];
  for (let i = 0; i < reps; i++) times.push(await once());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Seconds spent in each kind of component, timed one by one. */
export interface ComponentTimes {
  /** Convolutions (inference: a fixed filter, as with the cached standardised kernels). */
  conv: number;
  /** GroupNorms. */
  groupNorm: number;
  /** Weight standardisation of every kernel (training only; 0 in inference). */
  standardization: number;
}

/**
 * Times the recorded components standalone. `train`: forward + both gradients of each
 * convolution with a fresh filter every call (as a training step has), GroupNorm forward +
 * gradient, and the standardisation of every kernel forward + gradient.
 */
export async function timeComponents(
  calls: ModelCalls,
  train: boolean,
  reps = 3,
): Promise<ComponentTimes> {
  const times: ComponentTimes = { conv: 0, groupNorm: 0, standardization: 0 };
  for (const c of calls.convs) {
    const [x, w] = [tf.randomNormal(c.input), tf.randomNormal(c.filter)] as tf.Tensor4D[];
    const y = tf.conv2d(x, w, c.strides, 'valid');
    const dy = tf.randomNormal(y.shape);
    y.dispose();
    if (train) {
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, 'valid'),
      );
      // A fresh filter each call: in training the standardised kernel changes every step.
      times.conv += await timeIt(() => tf.tidy(() => grads([x, tf.add(w, 0)], dy)), reps);
      const wsGrad = tf.grad((k: tf.Tensor) => standardizeKernel(k));
      times.standardization += await timeIt(() => wsGrad(w, w), reps);
    } else {
      times.conv += await timeIt(() => tf.conv2d(x, w, c.strides, 'valid'), reps);
    }
    tf.dispose([x, w, dy]);
  }
  for (const n of calls.norms) {
    const x = tf.randomNormal(n.input);
    const channels = n.input[n.input.length - 1];
    const gamma = tf.ones([channels]);
    const beta = tf.zeros([channels]);
    const options = { groups: n.groups, eps: n.eps };
    if (train) {
      const dy = tf.randomNormal(n.input);
      const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        groupNorm(a, g, b, options),
      );
      times.groupNorm += await timeIt(() => grads([x, gamma, beta], dy), reps);
      dy.dispose();
    } else {
      times.groupNorm += await timeIt(() => groupNorm(x, gamma, beta, options), reps);
    }
    tf.dispose([x, gamma, beta]);
  }
  return times;
}

/**
 * The backend's raw convolution rate on the model's own convolutions: each one on its own
 * with a fixed filter (XNNPACK on wasm packs it once), FLOPs over the summed median times.
 */
export async function rawConvGflops(calls: ModelCalls, reps = 3): Promise<number> {
  const { conv } = await timeComponents({ ...calls, norms: [] }, false, reps);
  const flops = calls.convs.reduce((a, c) => a + c.flops, 0);
  return flops / conv / 1e9;
}
