/**
 * The building blocks on cpu, against float64 references in plain JS: soft cross-entropy,
 * SGD with momentum (and its exportable state), evaluation metrics, the `model.fit` HyperRule
 * callback and the MixUp batch transform.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import { fromArrays, Rng, sampleMixupLambda } from '@bit/data';
import { hyperRule, lrForPlan } from '@bit/hyperrule';
import {
  EvalAccumulator,
  evaluate,
  hyperRuleCallback,
  isAfterCheckpoint,
  mixupTransform,
  MomentumSgd,
  softCrossEntropy,
  TrainConfigError,
} from '../src/index';
import { tf, useBackend } from '../../../test-utils/backends';
import { seeded } from './helpers';

function ce64(logits: ArrayLike<number>, targets: ArrayLike<number>, k: number): number {
  const b = logits.length / k;
  let total = 0;
  for (let i = 0; i < b; i++) {
    const row = Array.from({ length: k }, (_, j) => logits[i * k + j]);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    for (let j = 0; j < k; j++) total -= targets[i * k + j] * (row[j] - lse);
  }
  return total / b;
}

beforeAll(async () => {
  await useBackend('cpu');
});

describe('soft cross-entropy (MixUp loss)', () => {
  it('equals the float64 value and lambda * CE(a) + (1 - lambda) * CE(b)', () => {
    const rnd = seeded(1);
    const b = 6;
    const k = 5;
    const logits = Float32Array.from({ length: b * k }, () => (rnd() - 0.5) * 8);
    const labels = Array.from({ length: b }, () => Math.floor(rnd() * k));
    const lambda = 0.37;
    const a = new Float32Array(b * k);
    const rev = new Float32Array(b * k);
    labels.forEach((l, i) => {
      a[i * k + l] = 1;
      rev[i * k + labels[b - 1 - i]] = 1;
    });
    const mixed = a.map((v, i) => lambda * v + (1 - lambda) * rev[i]);
    const got = tf.tidy(
      () => softCrossEntropy(tf.tensor2d(logits, [b, k]), tf.tensor2d(mixed, [b, k])).dataSync()[0],
    );
    expect(got).toBeCloseTo(ce64(logits, mixed, k), 5);
    expect(got).toBeCloseTo(lambda * ce64(logits, a, k) + (1 - lambda) * ce64(logits, rev, k), 5);
  });
});

describe('MomentumSgd', () => {
  it('matches buf = 0.9 buf + g; w -= lr buf in float64, and resumes exactly from its slots', async () => {
    const rnd = seeded(2);
    const w0 = Float32Array.from({ length: 6 }, () => rnd() - 0.5);
    const v = tf.variable(tf.tensor2d(w0, [2, 3]));
    const opt = new MomentumSgd([{ name: 'w', variable: v }], 0.9);
    const w = Float64Array.from(w0);
    const buf = new Float64Array(6);
    const lrs = [0, 0.1, 0.05, 0.2];
    const grads = lrs.map(() => Float32Array.from({ length: 6 }, () => rnd() - 0.5));
    for (let s = 0; s < 3; s++) {
      const g = tf.tensor2d(grads[s], [2, 3]);
      opt.apply(new Map([['w', g]]), lrs[s]);
      g.dispose();
      for (let i = 0; i < 6; i++) {
        buf[i] = 0.9 * buf[i] + grads[s][i];
        w[i] -= lrs[s] * buf[i];
      }
    }
    v.dataSync().forEach((x, i) => expect(x).toBeCloseTo(w[i], 6));
    // A second optimizer restored from the slots continues exactly like the first.
    const slots = await opt.getSlots();
    expect(slots[0].name).toBe('w');
    Array.from(slots[0].data).forEach((x, i) => expect(x).toBeCloseTo(buf[i], 6));
    const v2 = tf.variable(tf.clone(v));
    const opt2 = new MomentumSgd([{ name: 'w', variable: v2 }], 0.9);
    opt2.setSlots(slots);
    const g = tf.tensor2d(grads[3], [2, 3]);
    const before = tf.memory().numTensors;
    opt.apply(new Map([['w', g]]), lrs[3]);
    opt2.apply(new Map([['w', g]]), lrs[3]);
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(v2.dataSync())).toEqual(Array.from(v.dataSync()));
    expect(() => opt2.setSlots([{ name: 'w', shape: [3, 2], data: new Float32Array(6) }])).toThrow(
      /shape \[3, 2\]/,
    );
    expect(() => opt2.setSlots([])).toThrow(/no momentum buffer for w/);
    tf.dispose([g, v, v2]);
    opt.dispose();
    opt2.dispose();
  });
});

describe('evaluation', () => {
  it('EvalAccumulator: top-1, top-5 and loss as a float64 sort would give', () => {
    const rnd = seeded(4);
    const k = 8;
    const b = 40;
    const logits = Float32Array.from({ length: b * k }, () => Math.round((rnd() - 0.5) * 6));
    const labels = Int32Array.from({ length: b }, () => Math.floor(rnd() * k));
    const acc = new EvalAccumulator();
    acc.add(logits.subarray(0, 16 * k), labels.subarray(0, 16), k);
    acc.add(logits.subarray(16 * k), labels.subarray(16), k);
    let top1 = 0;
    let top5 = 0;
    const onehot = new Float32Array(b * k);
    for (let i = 0; i < b; i++) {
      onehot[i * k + labels[i]] = 1;
      // Stable sort by logit, descending: ties keep the lower index first (tf.topk's order).
      const order = Array.from({ length: k }, (_, j) => j).sort(
        (p, q) => logits[i * k + q] - logits[i * k + p],
      );
      const rank = order.indexOf(labels[i]);
      if (rank === 0) top1++;
      if (rank < 5) top5++;
    }
    const r = acc.result();
    expect(r.count).toBe(b);
    expect(r.top1).toBe(top1 / b);
    expect(r.top5).toBe(top5 / b);
    expect(r.loss).toBeCloseTo(ce64(logits, onehot, k), 10);
    expect(top1).toBeGreaterThan(0);
    expect(top5).toBeLessThan(b);
  });

  it('evaluate() runs a source through the model once, in eval mode', async () => {
    const rnd = seeded(6);
    const n = 13;
    const k = 6;
    const images = Uint8Array.from({ length: n * 2 * 2 * 3 }, () => Math.floor(rnd() * 256));
    const labels = Array.from({ length: n }, (_, i) => i % k);
    const source = fromArrays({ images, shape: [n, 2, 2, 3], labels });
    const W = Float32Array.from({ length: 12 * k }, () => rnd() * 4 - 2);
    const model = tfl.sequential({
      layers: [
        tfl.layers.flatten({ inputShape: [2, 2, 3] }),
        tfl.layers.dense({ units: k, useBias: false, weights: [tf.tensor2d(W, [12, k])] }),
      ],
    });
    const before = tf.memory().numTensors;
    const r = await evaluate(model, source, { batchSize: 4, resolution: 2 });
    expect(tf.memory().numTensors).toBe(before);
    const logits = new Float64Array(n * k);
    const onehot = new Float64Array(n * k);
    let top1 = 0;
    let top5 = 0;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        for (let j = 0; j < 12; j++) logits[i * k + c] += (images[i * 12 + j] / 255) * W[j * k + c];
      }
      onehot[i * k + labels[i]] = 1;
      const row = Array.from(logits.subarray(i * k, (i + 1) * k));
      const rank = row.filter((v) => v > row[labels[i]]).length;
      if (rank === 0) top1++;
      if (rank < 5) top5++;
    }
    expect(r.count).toBe(n);
    expect(r.top1).toBe(top1 / n);
    expect(r.top5).toBe(top5 / n);
    expect(r.loss).toBeCloseTo(ce64(logits, onehot, k), 4);
    await expect(evaluate(model, source, { batchSize: 0, resolution: 2 })).rejects.toThrow(
      /batchSize must be a positive integer/,
    );
    model.dispose();
  });

  it('metrics lines after a checkpoint: step lines from its step on, eval lines past it', () => {
    const line = (step: number) => ({ step, loss: 1, lr: 0, imagesPerSecond: 1, lambda: 1 });
    const ev = (step: number) => ({
      step,
      split: 'val' as const,
      top1: 1,
      top5: 1,
      loss: 0,
      count: 1,
    });
    expect(isAfterCheckpoint(line(2), 3)).toBe(false);
    expect(isAfterCheckpoint(line(3), 3)).toBe(true);
    expect(isAfterCheckpoint(ev(3), 3)).toBe(false);
    expect(isAfterCheckpoint(ev(4), 3)).toBe(true);
  });
});

describe('model.fit helpers', () => {
  it('hyperRuleCallback sets the plan lr every batch and stops at the end', async () => {
    const plan = hyperRule({
      datasetSize: 100,
      imageSize: [8, 8],
      batchSize: 4,
      baseLr: 0.1,
      steps: 10,
    });
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3] })] });
    const optimizer = tf.train.momentum(123, 0.9);
    model.compile({ optimizer, loss: 'meanSquaredError' });
    const seen: number[] = [];
    const used: number[] = [];
    const cb = hyperRuleCallback(plan, { onLearningRate: (_s, lr) => seen.push(lr) });
    const probe = new tfl.CustomCallback({
      onBatchBegin: async () =>
        void used.push((optimizer as unknown as { learningRate: number }).learningRate),
    });
    const x = tf.randomUniform([40, 3]);
    const y = tf.randomUniform([40, 2]);
    await model.fit(x, y, { batchSize: 4, epochs: 5, callbacks: [cb, probe], verbose: 0 });
    const expected = Array.from({ length: 10 }, (_, s) => lrForPlan(plan, s));
    expect(seen).toEqual(expected);
    expect(used).toEqual(expected);
    expect(cb.step).toBe(10);
    // A later fit has nothing left to do.
    const more = await model.fit(x, y, { batchSize: 4, epochs: 1, callbacks: [cb], verbose: 0 });
    expect(cb.step).toBe(10);
    expect(more.epoch.length).toBeLessThanOrEqual(1);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('mixupTransform mixes each batch with its reverse, one seeded lambda per batch', () => {
    const alpha = 0.4;
    const t = mixupTransform(alpha, 9, { numClasses: 3 });
    const rng = new Rng(9);
    const x = tf.tensor4d(
      Float32Array.from({ length: 4 * 2 * 2 * 1 }, (_, i) => i),
      [4, 2, 2, 1],
    );
    const ys = tf.tensor1d([0, 1, 2, 1], 'int32');
    for (let batch = 0; batch < 3; batch++) {
      const lam = sampleMixupLambda(rng, alpha);
      const out = t({ xs: x, ys });
      expect(t.lastLambda).toBe(lam);
      const xv = x.dataSync();
      const ov = out.xs.dataSync();
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) {
          expect(ov[i * 4 + j]).toBeCloseTo(
            lam * xv[i * 4 + j] + (1 - lam) * xv[(3 - i) * 4 + j],
            4,
          );
        }
      }
      const yv = out.ys.dataSync();
      const lab = [0, 1, 2, 1];
      for (let i = 0; i < 4; i++) {
        for (let c = 0; c < 3; c++) {
          const want = lam * (lab[i] === c ? 1 : 0) + (1 - lam) * (lab[3 - i] === c ? 1 : 0);
          expect(yv[i * 3 + c]).toBeCloseTo(want, 5);
        }
      }
      tf.dispose([out.xs, out.ys]);
    }
    expect(() => mixupTransform(0.1)({ xs: x, ys })).toThrow(TrainConfigError);
    const plain = mixupTransform(0)({ xs: x, ys: tf.oneHot(ys, 3) });
    expect(Array.from(plain.xs.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([x, ys, plain.xs, plain.ys]);
  });
});
