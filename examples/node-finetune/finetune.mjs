#!/usr/bin/env node
/**
 * Fine-tune BiT on your own images with the library API: copy this file and change what you
 * like. It starts from the embedded model (no network), fine-tunes with the BiT-HyperRule on an
 * image folder (one sub-folder per class) or Fashion-MNIST, reports accuracy, saves the model
 * and classifies a few images with it.
 *
 *   node finetune.mjs <data> [--classes 5-9] [--examples-per-class K] [--steps N] [--batch B]
 *                     [--val DATA [--val-split S]] [--model NAME|PATH] [--out DIR]
 *                     [--predict IMAGE ...]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '@bit/layers/kernels';
import { openSource } from '@bit/data/node';
import { EMBEDDED_MODEL, classify, loadBiT, resolveDataConfig, saveBiT } from '@bit/models/node';
import { evaluate, fineTune } from '@bit/train/node';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    classes: { type: 'string' }, // e.g. '5-9' or 'cat,dog'; default: every class
    'examples-per-class': { type: 'string' }, // few-shot: keep K images of each class
    steps: { type: 'string', default: '100' }, // the HyperRule schedule is rescaled to end here
    batch: { type: 'string', default: '32' },
    val: { type: 'string' }, // held-out images (default: the test split of IDX / CIFAR data)
    'val-split': { type: 'string', default: 'test' }, // the split of --val to use (test, val, ...)
    model: { type: 'string', default: EMBEDDED_MODEL },
    out: { type: 'string', default: 'finetuned-bit' },
    predict: { type: 'string', multiple: true, default: [] },
  },
});
const data = positionals[0];
if (!data) {
  console.error('usage: node finetune.mjs <image folder | Fashion-MNIST folder> [options]');
  process.exit(2);
}
const int = (flag) => (values[flag] === undefined ? undefined : Number(values[flag]));

// The application chooses the backend: wasm (the fast CPU one) with BiT's training kernels.
registerWasmTrainingKernels();
await tf.setBackend('wasm');

// 1. The data: any source @bit/data reads (image folders, IDX, CIFAR, CSV/JSONL manifests).
const select = { ...(values.classes ? { classes: values.classes } : {}) };
const train = await openSource(data, {
  split: 'train',
  ...select,
  examplesPerClass: int('examples-per-class'),
  seed: 0,
});
const hasTestSplit = ['idx', 'cifar10', 'cifar100'].includes(train.metadata.format);
const valData = values.val ?? (hasTestSplit ? data : undefined);
const val = valData ? await openSource(valData, { split: values['val-split'], ...select }) : null;
console.log(`train: ${train.size} images of ${train.metadata.classes.join(', ')}`);

// 2. The model, and the resolution it was trained at (the embedded one: 32 px).
const model = await loadBiT(values.model);
const crop = (await resolveDataConfig(model)).resolution;

// 3. Fine-tune with the HyperRule: a new zero head, SGD + momentum, warm-up and step decays,
//    random crop + flip (MixUp from 20k images). Same call in the browser (@bit/train).
const result = await fineTune({
  model,
  train,
  newHead: true,
  steps: int('steps'),
  batchSize: int('batch'),
  resolution: { precrop: Math.round((crop * 9) / 8), crop },
  callbacks: {
    onStepEnd: (m) => {
      if (m.step % 10 === 0)
        console.log(`step ${m.step}: loss ${m.loss.toFixed(4)}, lr ${m.lr.toPrecision(3)}`);
    },
  },
});
const tuned = result.model;
if (val) {
  const r = await evaluate(tuned, val, { resolution: crop, batchSize: 100 });
  console.log(`top-1 on ${r.count} held-out images: ${(100 * r.top1).toFixed(1)}%`);
}

// 4. Save (a TF.js folder keeps the class names; an .npz path writes the official layout).
await saveBiT(tuned, values.out);
console.log(`saved to ${values.out} (load it with loadBiT('${values.out}') or bit predict)`);

// 5. Classify with it: paths, Buffers, URLs or tensors.
for (const image of values.predict) {
  const top = await classify(tuned, image, { topK: 3 });
  console.log(
    `${image}: ${top.map((t) => `${t.label} ${(100 * t.score).toFixed(1)}%`).join(', ')}`,
  );
}
tuned.dispose();
