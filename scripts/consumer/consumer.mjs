// ESM consumer: runs outside the workspace against the packed tarballs.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getLr, getResolution, hyperRule } from '@bit/hyperrule';
import { groupNorm, standardizedConv2d, GroupNormalization } from '@bit/layers';

await tf.setBackend('cpu');
assert.deepEqual(getResolution([28, 28]), { precrop: 160, crop: 128 });
assert.equal(getLr(0, 1000), 0);
assert.equal(hyperRule({ datasetSize: 1000, imageSize: [28, 28] }).batchSize, 512);

const x = tf.randomNormal([2, 4, 4, 8]);
const y = groupNorm(x, null, null, { groups: 4 });
assert.deepEqual(y.shape, [2, 4, 4, 8]);
const conv = standardizedConv2d({ filters: 3, kernelSize: 3, padding: 'valid', useBias: false });
const out = conv.apply(x);
assert.deepEqual(out.shape, [2, 2, 2, 3]);
assert.equal(GroupNormalization.className, 'GroupNormalization');
console.log('ESM consumer ok');

// @bit/models/node from the tarball: load a numpy-written fixture and classify with it.
const { loadBiT, predict, listModels } = await import('@bit/models/node');
const model = await loadBiT('./weights.npz');
const [p] = await predict(model, tf.fill([1, 32, 32, 3], 0.5), { topK: 3, labels: null });
assert.equal(p.top.length, 3);
assert.ok(listModels().some((m) => m.name === 'BiT-M-R50x1'));
console.log('ESM @bit/models/node ok');

// @bit/train/node from the tarball: data-parallel fine-tuning over a worker thread (the worker
// script dist/train-worker.js resolves inside the installed package).
const { fromArrays } = await import('@bit/data');
const { fineTune, createTrainWorkers } = await import('@bit/train/node');
const pixels = new Uint8Array(6 * 16 * 16 * 3).map((_, i) => (i * 37) % 256);
const run = await fineTune({
  model,
  train: fromArrays({
    images: pixels,
    shape: [6, 16, 16, 3],
    labels: [0, 1, 2, 0, 1, 2],
    classes: ['a', 'b', 'c'],
  }),
  batchSize: 3,
  steps: 5,
  resolution: { precrop: 18, crop: 16 },
  gradientExecutor: createTrainWorkers({ workers: 2 }),
});
assert.equal(run.status, 'completed');
assert.ok(Number.isFinite(run.lastLoss));
console.log('ESM @bit/train/node workers ok');
