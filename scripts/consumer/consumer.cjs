// CJS consumer: runs outside the workspace against the packed tarballs.
const assert = require('node:assert/strict');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const { getMixup, getSchedule } = require('@bit/hyperrule');
const { standardizeKernel, groupNormalization } = require('@bit/layers');

(async () => {
  await tf.setBackend('cpu');
  assert.equal(getMixup(20000), 0.1);
  assert.deepEqual(getSchedule(100), [100, 200, 300, 400, 500]);
  const k = standardizeKernel(tf.randomNormal([3, 3, 4, 5]));
  assert.deepEqual(k.shape, [3, 3, 4, 5]);
  const gn = groupNormalization({ groups: 2 });
  assert.deepEqual(gn.apply(tf.ones([1, 2, 2, 4])).shape, [1, 2, 2, 4]);
  const { loadBiT, features } = require('@bit/models/node');
  const model = await loadBiT('./weights.npz');
  const [f] = await features(model, tf.fill([1, 32, 32, 3], 0.25));
  assert.equal(f.length, 1024);
  // The CJS worker script (dist/train-worker.cjs) from the installed package.
  const { createInferenceWorkers } = require('@bit/train/node');
  const workers = await createInferenceWorkers(model, 2);
  try {
    const [[a, b]] = await workers.features([tf.fill([2, 32, 32, 3], 0.25)]);
    assert.ok(Math.max(...a.map((v, i) => Math.abs(v - f[i]))) < 1e-5);
    assert.ok(Math.max(...b.map((v, i) => Math.abs(v - f[i]))) < 1e-5);
  } finally {
    await workers.close();
  }
  console.log('CJS consumer ok');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
