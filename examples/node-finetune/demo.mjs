#!/usr/bin/env node
/**
 * `npm run demo`: the BiT tutorial (the BiT blog post's story) on the embedded model, in about a
 * minute or two on a laptop CPU, with the library API:
 *   1. load BiT-FMNIST-R14x0.5, a small BiT the project pre-trained upstream on Fashion-MNIST
 *      classes 0-4 and ships inside @bit/models (no network);
 *   2. use it out of the box on test images of its own classes;
 *   3. a Bag is outside its label space: fine-tune on 5 examples per class of classes 5-9 with
 *      the BiT-HyperRule, and compare with the same budget from scratch;
 *   4. save the fine-tuned model, load it back, predict with it.
 * Without Fashion-MNIST (Debian: apt-get install dataset-fashion-mnist) it falls back to
 * generated images (generated-images.mjs).
 *   node examples/node-finetune/demo.mjs [--out DIR]
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { loadImage, resizeBilinear, subsetSource } from '@bit/data';
import { openSource } from '@bit/data/node';
import {
  EMBEDDED_MODEL,
  buildResNetV2,
  getBiTMetadata,
  loadBiT,
  predict,
  saveBiT,
} from '@bit/models/node';
import { registerWasmTrainingKernels } from '@bit/layers/kernels';
import { evaluate, fineTune, heInitialize } from '@bit/train/node';

const FASHION = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
if (!existsSync(FASHION)) {
  console.error(
    `Fashion-MNIST is not at ${FASHION}. Install it (Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist)\n` +
      'or set FASHION_MNIST_DIR to a folder with its IDX files. Falling back to generated images.\n',
  );
  await import('./generated-images.mjs');
  process.exit(0);
}
const outArg = process.argv.indexOf('--out');
const work = outArg > 0 ? process.argv[outArg + 1] : join(tmpdir(), `bit-demo-${process.pid}`);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

// The application picks the backend: wasm, with the project's training kernels.
registerWasmTrainingKernels();
await tf.setBackend('wasm');
const t0 = performance.now();
const seconds = () => ((performance.now() - t0) / 1000).toFixed(0);
const pct = (x) => `${(100 * x).toFixed(1)}%`;
/** Every n-th image of a source: a quick evaluation that still covers each class. */
const every = (source, n) =>
  subsetSource(
    source,
    Array.from({ length: Math.floor(source.size / n) }, (_, i) => i * n),
  );
/** One image of a source as a [1, size, size, 3] tensor in [0, 1] (the HyperRule's eval resize). */
async function pixels(source, i, size) {
  const resized = resizeBilinear(await loadImage(source.example(i).image), size, size);
  return tf.tensor4d(resized.data, [1, size, size, 3], 'float32');
}

// 1. Load the embedded model: its class names and resolution come with it.
const model = await loadBiT(EMBEDDED_MODEL);
const meta = getBiTMetadata(model);
const classes = (await predict(model, tf.zeros([1, 32, 32, 3]), { topK: 5 }))[0].top
  .map((t) => [t.index, t.label])
  .sort((a, b) => a[0] - b[0])
  .map((t) => t[1]);
console.log(`1. ${EMBEDDED_MODEL}: ${meta.resolution} px, classes ${classes.join(', ')}`);

// 2. Out of the box on test images of its own classes.
const ownTest = await openSource(FASHION, { split: 'test', classes });
const own = await evaluate(model, every(ownTest, 5), {
  resolution: meta.resolution,
  batchSize: 100,
});
console.log(
  `2. out of the box on ${own.count} Fashion-MNIST test images of those classes: top-1 ${pct(own.top1)}`,
);
for (const i of [0, 1, 2, 3, 4]) {
  const x = await pixels(ownTest, i, meta.resolution);
  const [p] = await predict(model, x, { topK: 1 });
  console.log(
    `   test image ${i} (${classes[ownTest.label(i)]}): ${p.top[0].label} ${pct(p.top[0].score)}`,
  );
  x.dispose();
}

// 3. A new task: classes 5-9 (Sandal, Shirt, Sneaker, Bag, Ankle boot), 5 examples each.
const newClasses = '5-9';
const train = await openSource(FASHION, {
  split: 'train',
  classes: newClasses,
  examplesPerClass: 5,
  seed: 0,
});
const newTest = await openSource(FASHION, { split: 'test', classes: newClasses });
const bagIndex = [...Array(newTest.size).keys()].find(
  (i) => newTest.metadata.classes[newTest.label(i)] === 'Bag',
);
const bag = await pixels(newTest, bagIndex, meta.resolution);
const [before] = await predict(model, bag, { topK: 1 });
console.log(
  `3. a Bag is not among its classes: it calls test image ${bagIndex} a ${before.top[0].label} (${pct(before.top[0].score)})`,
);
const recipe = {
  train,
  batchSize: 32,
  steps: 100, // the HyperRule schedule [100..500] scaled to a CPU budget
  resolution: { precrop: 36, crop: 32 }, // the upstream preprocessing (resize 36, random crop 32)
  seed: 0,
  newHead: true, // BiT: a new zero-initialised head
  onWarning: () => {},
};
const tuned = await fineTune({ ...recipe, model });
const quickTest = every(newTest, 5);
const bitEval = await evaluate(tuned.model, quickTest, { resolution: 32, batchSize: 100 });
console.log(
  `   BiT-HyperRule fine-tuning on ${train.size} images (${tuned.step} steps): top-1 ${pct(bitEval.top1)} on ${bitEval.count} test images [${seconds()} s]`,
);
const scratchModel = buildResNetV2(meta.architecture, { kernelInitializer: 'zeros' });
heInitialize(scratchModel, 0);
const scratch = await fineTune({ ...recipe, model: scratchModel });
const scratchEval = await evaluate(scratch.model, quickTest, { resolution: 32, batchSize: 100 });
console.log(
  `   the same recipe and budget from scratch: top-1 ${pct(scratchEval.top1)} [${seconds()} s]`,
);
scratch.model.dispose();

// 4. Save (TF.js keeps the class names; .npz is the official layout), load back, predict.
const saved = join(work, 'fmnist-5-9-5shot');
await saveBiT(tuned.model, saved);
await saveBiT(tuned.model, `${saved}.npz`, { format: 'npz' });
const reloaded = await loadBiT(saved);
const [after] = await predict(reloaded, bag, { topK: 1 });
console.log(
  `4. saved to ${saved} (TF.js) and ${saved}.npz; reloaded, it calls the same image a ${after.top[0].label} (${pct(after.top[0].score)}) [${seconds()} s]`,
);
tf.dispose(bag);
reloaded.dispose();
tuned.model.dispose();
