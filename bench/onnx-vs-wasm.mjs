#!/usr/bin/env node
/**
 * Inference images/s of the onnx engine (onnxruntime-node, CPU) against tfjs's wasm backend, side
 * by side in one process, on the same random weights (exported to ONNX in memory).
 *
 *   node bench/onnx-vs-wasm.mjs [--model R50x1] [--image-size 128] [--batch 4] [--iterations 5]
 *                               [--warmup 1] [--threads N] [--spin] [--json]
 *
 * Needs `npm run build` and onnxruntime-node (a root devDependency). Prints both rates, the
 * speed-up, and the relative L2 difference of the two engines' pre-logits on the timed batch (the
 * random model's head is zero-initialised, as BiT's rule says, so its logits are all zero).
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import {
  buildResNetV2,
  exportOnnx,
  featureExtractor,
  OnnxBiTModel,
  parseArchitectureName,
} from '@bit/models/node';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'R50x1' },
    'image-size': { type: 'string', default: '128' },
    batch: { type: 'string', default: '4' },
    iterations: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    classes: { type: 'string', default: '1000' },
    threads: { type: 'string' },
    spin: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const size = Number(values['image-size']);
const batch = Number(values.batch);
const iterations = Number(values.iterations);
const warmup = Number(values.warmup);
const threads = values.threads ? Number(values.threads) : availableParallelism();

async function time(fn) {
  for (let i = 0; i < warmup; i++) await fn();
  const s = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn();
    s.push((performance.now() - t0) / 1000);
  }
  s.sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

await tf.setBackend('wasm');
await tf.ready();
const arch = parseArchitectureName(values.model, Number(values.classes));
const model = buildResNetV2(arch);
const x = tf.randomUniform([batch, size, size, 3], 0, 1, 'float32', 1);
const pixels = await x.data();
const onnx = await OnnxBiTModel.create(await exportOnnx(model), { threads, spin: values.spin });

const wasmSeconds = await time(async () => {
  const y = model.predict(x);
  await y.data();
  y.dispose();
});
const onnxSeconds = await time(async () => {
  await onnx.run(pixels, [batch, size, size, 3]);
});
const f = featureExtractor(model).predict(x);
const wasmFeatures = await f.data();
f.dispose();
const onnxFeatures = (await onnx.run(pixels, [batch, size, size, 3], 'prelogits')).data;
let num = 0;
let den = 0;
for (let i = 0; i < wasmFeatures.length; i++) {
  num += (onnxFeatures[i] - wasmFeatures[i]) ** 2;
  den += wasmFeatures[i] ** 2;
}
const result = {
  model: values.model,
  imageSize: size,
  batch,
  iterations,
  cores: availableParallelism(),
  onnxThreads: threads,
  onnxSpin: values.spin,
  wasm: { secondsPerBatch: wasmSeconds, imagesPerSecond: batch / wasmSeconds },
  onnx: { secondsPerBatch: onnxSeconds, imagesPerSecond: batch / onnxSeconds },
  speedup: wasmSeconds / onnxSeconds,
  prelogitsRelL2: Math.sqrt(num / den),
};
x.dispose();
model.dispose();
await onnx.dispose();
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(
    `${values.model} ${size}px batch ${batch}: wasm ${result.wasm.imagesPerSecond.toFixed(2)} images/s, ` +
      `onnx (${threads} threads) ${result.onnx.imagesPerSecond.toFixed(2)} images/s: ` +
      `${result.speedup.toFixed(2)}x; pre-logits differ by ${result.prelogitsRelL2.toExponential(2)} relative L2`,
  );
}
