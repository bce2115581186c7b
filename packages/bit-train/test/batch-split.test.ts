/**
 * Batch split: k micro-batches with accumulated, size-weighted gradients give the same update
 * as the full batch (full model on wasm; uneven splits and the float64 gradient of a linear
 * head on cpu).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { planBatchSplitByCount } from '@bit/hyperrule';
import { fineTune, accumulateGradients, makeTarget } from '../src/index';
import { tf, useBackend } from '../../../test-utils/backends';
import { colourSource, maxDiff, seeded, snapshot, tinyBiT } from './helpers';

/** Two optimizer steps (step 0 has lr 0: it fills the momentum buffers; step 1 moves). */
async function twoSteps(
  batchSplit: number,
): Promise<{ before: Float32Array[]; after: Float32Array[]; losses: number[] }> {
  const model = tinyBiT(3, 7);
  const before = snapshot(model);
  const controller = new AbortController();
  const losses: number[] = [];
  const r = await fineTune({
    model,
    train: colourSource(4, 16, 3),
    batchSize: 8,
    batchSplit,
    steps: 5,
    baseLr: 0.05,
    mixup: 0.2,
    seed: 11,
    resolution: { precrop: 18, crop: 16 },
    signal: controller.signal,
    callbacks: {
      onStepEnd: (m) => {
        losses.push(m.loss);
        if (m.step === 1) controller.abort();
      },
    },
  });
  expect(r.status).toBe('aborted');
  expect(r.step).toBe(2);
  return { before, after: snapshot(r.model), losses };
}

describe('batch split on wasm (full fine-tuning)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('k = 2 and k = 4 update the weights as k = 1', async () => {
    const full = await twoSteps(1);
    const moved = maxDiff(full.before, full.after);
    expect(moved).toBeGreaterThan(1e-3);
    for (const k of [2, 4]) {
      const split = await twoSteps(k);
      expect(maxDiff(split.before, full.before)).toBe(0);
      const diff = maxDiff(split.after, full.after);
      expect(diff).toBeLessThan(1e-5);
      expect(diff / moved).toBeLessThan(1e-3);
      split.losses.forEach((l, i) => expect(l).toBeCloseTo(full.losses[i], 5));
    }
  });
});

describe('batch split on cpu (linear head, float64 reference)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('uneven micro-batches weighted by size give the full-batch gradient', async () => {
    const model = tinyBiT(4, 3);
    const head = model.getLayer('resnet/head/conv2d');
    const d = (head.getWeights()[0].shape as number[])[0];
    const k = 4;
    const rnd = seeded(5);
    // Non-zero head so the gradient depends on it.
    head.setWeights([
      tf.tensor2d(
        Float32Array.from({ length: d * k }, () => rnd() - 0.5),
        [d, k],
      ),
      tf.tensor1d(Float32Array.from({ length: k }, () => rnd() - 0.5)),
    ]);
    const [kernel, bias] = head.getWeights().map((w) => w.dataSync() as Float32Array);
    const n = 10;
    const inputs = Float32Array.from({ length: n * d }, () => rnd());
    const targets = new Float32Array(n * k);
    for (let i = 0; i < n; i++) {
      const lam = rnd();
      targets[i * k + (i % k)] += lam;
      targets[i * k + ((i + 1) % k)] += 1 - lam;
    }
    const target = makeTarget(model, 'features');
    const batch = { inputs, shape: [n, d], targets, numClasses: k };

    // float64 gradient of the mean soft cross-entropy.
    const gW = new Float64Array(d * k);
    const gB = new Float64Array(k);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const z = new Float64Array(k);
      for (let c = 0; c < k; c++) {
        z[c] = bias[c];
        for (let j = 0; j < d; j++) z[c] += inputs[i * d + j] * kernel[j * k + c];
      }
      const m = Math.max(...z);
      const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
      for (let c = 0; c < k; c++) {
        const p = Math.exp(z[c] - lse);
        const t = targets[i * k + c];
        loss -= (t * (z[c] - lse)) / n;
        const g = (p - t) / n;
        gB[c] += g;
        for (let j = 0; j < d; j++) gW[j * k + c] += g * inputs[i * d + j];
      }
    }
    const scale = Math.max(...gW.map(Math.abs));
    for (const parts of [1, 3, 4, 10]) {
      const split = planBatchSplitByCount(n, parts);
      const before = tf.memory().numTensors;
      const { grads, loss: got } = await accumulateGradients(target, batch, split);
      const w = grads.get('resnet/head/conv2d/kernel')!.dataSync();
      const b = grads.get('resnet/head/conv2d/bias')!.dataSync();
      tf.dispose([...grads.values()]);
      expect(tf.memory().numTensors).toBe(before);
      expect(got).toBeCloseTo(loss, 5);
      let err = 0;
      w.forEach((v, i) => (err = Math.max(err, Math.abs(v - gW[i]))));
      b.forEach((v, i) => (err = Math.max(err, Math.abs(v - gB[i]))));
      expect(err / scale).toBeLessThan(1e-5);
    }
  });
});
