/**
 * One point of the transfer experiment (bench/results/transfer.json): fine-tune on k examples per
 * class of Fashion-MNIST classes 5-9 (held out from upstream pre-training), then evaluate on the
 * whole test split of those classes (5000 images). Arms, all with the same steps, batch,
 * resolution and BiT-HyperRule recipe (SGD + momentum, base lr 0.003, the HyperRule schedule
 * scaled to `steps`, zero-initialised head, no weight decay, random crop + flip):
 *   bit:     the shipped upstream model (BiT-FMNIST-R14x0.5) with a new head, fully fine-tuned;
 *   scratch: the same architecture He-initialised (seeded), fully trained;
 *   linear:  the shipped model frozen, a head trained on its pre-logits (precomputed features).
 * Deterministic for a given (mode, k, seed) on the wasm backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { subsetSource } from '@bit/data';
import { openSource } from '@bit/data/node';
import { buildResNetV2, inferArchitecture, loadBiT, modelWeights } from '@bit/models/node';
import { registerWasmTrainingKernels } from '@bit/layers/kernels';
import { evaluate, fineTune, heInitialize } from '@bit/train/node';

/** The experiment's fixed settings (README, transfer.json). */
export const TRANSFER = {
  data: process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist',
  model: 'BiT-FMNIST-R14x0.5',
  downstreamClasses: '5-9',
  examplesPerClass: [1, 2, 5, 10, 25],
  seeds: [0, 1, 2],
  modes: ['bit', 'scratch', 'linear'],
  steps: 100,
  batchSize: 32,
  baseLr: 0.003,
  /**
   * A CPU-sized crop with the upstream model's own preprocessing (resize 36, random crop 32:
   * `bit pretrain`'s 9/8). The HyperRule's 160/128 ratio (40/32 here) was measured too: it cuts
   * 20% of a 28-px garment off each side and lowered every arm (see the README).
   */
  resolution: { precrop: 36, crop: 32 },
};

let backendReady;
/** wasm, with the project's training kernels (the application picks the backend). */
export function useWasm() {
  backendReady ??= (async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
    await tf.ready();
  })();
  return backendReady;
}

/**
 * The test split of the downstream classes; with `evalLimit`, that many images strided through
 * it (every class in a tiny evaluation, not the split's head: the CI versions).
 */
export async function downstreamTest(data, evalLimit) {
  const test = await openSource(data, { split: 'test', classes: TRANSFER.downstreamClasses });
  if (evalLimit === undefined || evalLimit >= test.size) return test;
  const stride = test.size / evalLimit;
  return subsetSource(
    test,
    Array.from({ length: evalLimit }, (_, i) => Math.floor(i * stride)),
  );
}

/** The upstream architecture He-initialised with `seed` (the scratch arm; seeded, deterministic). */
export async function scratchLike(upstream, seed) {
  const named = modelWeights(upstream).map((w) => ({ name: w.name, shape: w.checkpointShape }));
  const arch = inferArchitecture(named, upstream.name);
  const model = buildResNetV2({ ...arch, numClasses: 5 }, { kernelInitializer: 'zeros' });
  heInitialize(model, seed);
  return model;
}

/**
 * Runs one point. `options`: mode, examplesPerClass, seed; optional model (zoo name or path),
 * data (Fashion-MNIST folder), steps, batchSize, evalLimit (evaluate on the first N test images:
 * the fast CI version only).
 * @returns { mode, examplesPerClass, seed, top1, top5, loss, evalCount, steps, batchSize, seconds }
 */
export async function runPoint(options) {
  const { mode, examplesPerClass: k, seed } = options;
  if (!TRANSFER.modes.includes(mode)) throw new Error(`mode must be one of ${TRANSFER.modes}`);
  const steps = options.steps ?? TRANSFER.steps;
  const batchSize = options.batchSize ?? TRANSFER.batchSize;
  const data = options.data ?? TRANSFER.data;
  const resolution = options.resolution ?? TRANSFER.resolution;
  const baseLr = options.baseLr ?? TRANSFER.baseLr;
  await useWasm();
  const started = performance.now();
  const train = await openSource(data, {
    split: 'train',
    classes: TRANSFER.downstreamClasses,
    examplesPerClass: k,
    seed,
  });
  const test = await downstreamTest(data, options.evalLimit);
  const upstream = await loadBiT(options.model ?? TRANSFER.model);
  const start = mode === 'scratch' ? await scratchLike(upstream, seed) : upstream;
  if (start !== upstream) upstream.dispose();
  const result = await fineTune({
    model: start,
    train,
    batchSize,
    steps,
    baseLr,
    resolution,
    seed,
    newHead: true,
    headOnly: mode === 'linear',
    precomputeFeatures: mode === 'linear',
    onWarning: () => {},
  });
  const r = await evaluate(result.model, test, {
    batchSize: 100,
    resolution: resolution.crop,
  });
  // The fine-tuned model shares the backbone with `start` (a new head was put on it).
  result.model.dispose();
  return {
    mode,
    examplesPerClass: k,
    seed,
    top1: r.top1,
    top5: r.top5,
    loss: r.loss,
    evalCount: r.count,
    steps,
    batchSize,
    seconds: (performance.now() - started) / 1000,
  };
}
