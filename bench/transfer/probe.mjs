/**
 * The transfer experiment's diagnostic: how good is each representation of Fashion-MNIST classes
 * 5-9 before any training? A nearest-class-mean classifier (class means of the k examples'
 * L2-normalised vectors, nearest mean by Euclidean distance) on
 *   pixels:   the images as the networks see them (resized to the crop, [0, 1]);
 *   random:   pre-logits of the architecture He-initialised with the few-shot seed (the scratch
 *             arm's starting point);
 *   upstream: pre-logits of the shipped model (the bit and linear arms' starting point);
 * with the same k examples per class (same sampler and seeds) as bench/transfer-point, evaluated
 * on the same test images. No training, no tuning: it shows what the upstream representation
 * adds over random features and over the pixels themselves.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createPipeline } from '@bit/data';
import { openSource } from '@bit/data/node';
import { featureExtractor, loadBiT } from '@bit/models/node';
import { TRANSFER, downstreamTest, scratchLike, useWasm } from './point.mjs';

/** The representations compared. */
export const REPRESENTATIONS = ['pixels', 'random', 'upstream'];

/**
 * Top-1 of the nearest-class-mean classifier: `train`/`test` are { x: Float64Array rows of
 * length d, y: labels }. Vectors are L2-normalised first; ties go to the lower class.
 */
export function nearestClassMean(train, test, d, numClasses) {
  const normalise = (x) => {
    const out = new Float64Array(x.length);
    for (let r = 0; r < x.length / d; r++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += x[r * d + j] ** 2;
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let j = 0; j < d; j++) out[r * d + j] = x[r * d + j] * inv;
    }
    return out;
  };
  const xtr = normalise(train.x);
  const means = new Float64Array(numClasses * d);
  const counts = new Float64Array(numClasses);
  train.y.forEach((c, r) => {
    counts[c]++;
    for (let j = 0; j < d; j++) means[c * d + j] += xtr[r * d + j];
  });
  for (let c = 0; c < numClasses; c++) {
    if (counts[c] === 0) throw new Error(`nearestClassMean: no training example of class ${c}`);
    for (let j = 0; j < d; j++) means[c * d + j] /= counts[c];
  }
  const xte = normalise(test.x);
  let correct = 0;
  test.y.forEach((label, r) => {
    let best = -1;
    let bestDistance = Infinity;
    for (let c = 0; c < numClasses; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (xte[r * d + j] - means[c * d + j]) ** 2;
      if (s < bestDistance) {
        bestDistance = s;
        best = c;
      }
    }
    if (best === label) correct++;
  });
  return correct / test.y.length;
}

/** Every example of `source` through the eval transform (resize to the crop), as batches. */
async function batchesOf(source, crop) {
  const batches = [];
  for await (const b of createPipeline(source, {
    batchSize: 100,
    resolution: { precrop: crop, crop },
    mode: 'eval',
    labels: 'index',
  })) {
    batches.push(b);
  }
  return batches;
}

/** The vectors of `batches` under `represent` (a batch -> Float32Array of its rows). */
async function vectors(batches, represent) {
  const rows = [];
  const y = [];
  let d = 0;
  for (const b of batches) {
    const v = await represent(b);
    d = v.length / b.shape[0];
    rows.push(v);
    y.push(...b.labels);
  }
  const x = new Float64Array(y.length * d);
  let offset = 0;
  for (const v of rows) {
    x.set(v, offset);
    offset += v.length;
  }
  return { x, y, d };
}

function prelogitsOf(model) {
  const extractor = featureExtractor(model);
  return async (b) => {
    const f = tf.tidy(() => extractor.predict(tf.tensor4d(b.images, [...b.shape], 'float32')));
    const v = await f.data();
    f.dispose();
    return v;
  };
}

/**
 * Runs the probe. `options`: seeds (array), examplesPerClass (array), evalLimit (first N test
 * images, strided: the CI version), data, model (zoo name or path), crop (pixels the images are
 * resized to; default the experiment's). Returns { points: [{ representation,
 * examplesPerClass, seed, top1 }], evalCount }.
 */
export async function runProbe(options = {}) {
  const seeds = options.seeds ?? TRANSFER.seeds;
  const ks = options.examplesPerClass ?? TRANSFER.examplesPerClass;
  const data = options.data ?? TRANSFER.data;
  const crop = options.crop ?? TRANSFER.resolution.crop;
  await useWasm();
  const test = await downstreamTest(data, options.evalLimit);
  const numClasses = test.metadata.classes.length;
  const upstream = await loadBiT(options.model ?? TRANSFER.model);
  const points = [];
  const pixels = async (b) => b.images;
  const upstreamFeatures = prelogitsOf(upstream);
  try {
    // Decoded and resized once: the test split serves every seed, a few-shot set every arm.
    const testBatches = await batchesOf(test, crop);
    const testPixels = await vectors(testBatches, pixels);
    const testUpstream = await vectors(testBatches, upstreamFeatures);
    for (const seed of seeds) {
      const random = await scratchLike(upstream, seed);
      const randomFeatures = prelogitsOf(random);
      const testRandom = await vectors(testBatches, randomFeatures);
      for (const k of ks) {
        const train = await openSource(data, {
          split: 'train',
          classes: TRANSFER.downstreamClasses,
          examplesPerClass: k,
          seed,
        });
        const trainBatches = await batchesOf(train, crop);
        const arms = [
          ['pixels', pixels, testPixels],
          ['random', randomFeatures, testRandom],
          ['upstream', upstreamFeatures, testUpstream],
        ];
        for (const [representation, represent, testVectors] of arms) {
          const trainVectors = await vectors(trainBatches, represent);
          points.push({
            representation,
            examplesPerClass: k,
            seed,
            top1: nearestClassMean(trainVectors, testVectors, testVectors.d, numClasses),
          });
        }
      }
      random.dispose();
    }
  } finally {
    upstream.dispose();
  }
  return { points, evalCount: test.size };
}

/** Mean, min and max top-1 over seeds, per representation and k. */
export function summariseProbe(points) {
  const out = {};
  for (const p of points) {
    const rows = (out[p.representation] ??= []);
    let row = rows.find((r) => r.k === p.examplesPerClass);
    if (!row) {
      row = { k: p.examplesPerClass, values: [] };
      rows.push(row);
    }
    row.values.push(p.top1);
  }
  for (const rows of Object.values(out)) {
    rows.sort((a, b) => a.k - b.k);
    for (const row of rows) {
      const v = row.values;
      Object.assign(row, {
        mean: v.reduce((a, b) => a + b, 0) / v.length,
        min: Math.min(...v),
        max: Math.max(...v),
        n: v.length,
      });
      delete row.values;
    }
  }
  return out;
}
