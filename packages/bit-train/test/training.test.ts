/**
 * The loop on wasm: the MixUp loss it reports, the NaN/Inf guard, head-only training (frozen
 * backbone), precomputed features, option errors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createPipeline, registerAugmentation } from '@bit/data';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  fineTune,
  MemoryRunStore,
  NonFiniteLossError,
  TrainConfigError,
  type StepMetrics,
} from '../src/index';
import { tf, useBackend } from '../../../test-utils/backends';
import { colourSource, maxDiff, seeded, snapshot, tinyBiT } from './helpers';

const resolution = { precrop: 20, crop: 16 };

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
  await useBackend('wasm');
});

describe('MixUp loss', () => {
  it('the step loss is the soft cross-entropy of the mixed batch: lambda CE(a) + (1 - lambda) CE(b)', async () => {
    const train = colourSource(4, 16, 31);
    const model = tinyBiT(3, 12);
    const head = model.getLayer('resnet/head/conv2d');
    const rnd = seeded(8);
    const [kShape, bShape] = head.getWeights().map((w) => w.shape);
    const hw = [
      tf.tensor(
        Float32Array.from({ length: kShape[0]! * 3 }, () => (rnd() - 0.5) * 0.4),
        kShape as number[],
      ),
      tf.tensor(
        Float32Array.from({ length: 3 }, () => rnd() - 0.5),
        bShape as number[],
      ),
    ];
    head.setWeights(hw);
    tf.dispose(hw);
    const opts = { batchSize: 6, seed: 4, mixup: 0.5 };
    // The batch the loop will see at step 0, from the same seeded pipeline.
    const it0 = createPipeline(train, {
      batchSize: 6,
      resolution,
      mode: 'train',
      seed: 4,
      mixup: 0.5,
      labels: 'onehot',
    })[Symbol.asyncIterator]();
    const batch = (await it0.next()).value!;
    await it0.return?.(undefined);
    expect(batch.lambda).toBeGreaterThan(0);
    expect(batch.lambda).toBeLessThan(1);
    const logits = tf.tidy(() =>
      (
        model.predict(
          tf.tensor4d(batch.images, [...batch.shape] as [number, number, number, number]),
        ) as tf.Tensor
      ).dataSync(),
    );
    const a = new Float32Array(18);
    const b = new Float32Array(18);
    for (let i = 0; i < 6; i++) {
      a[i * 3 + train.label(batch.indices[i])] = 1;
      b[i * 3 + train.label(batch.indices[5 - i])] = 1;
    }
    const expected = batch.lambda * ce64(logits, a, 3) + (1 - batch.lambda) * ce64(logits, b, 3);
    expect(ce64(logits, batch.labels, 3)).toBeCloseTo(expected, 6);
    expect(Math.abs(expected - ce64(logits, a, 3))).toBeGreaterThan(1e-3);

    const lines: StepMetrics[] = [];
    const controller = new AbortController();
    const r = await fineTune({
      model,
      train,
      ...opts,
      steps: 5,
      resolution,
      signal: controller.signal,
      callbacks: {
        onStepEnd: (m) => {
          lines.push(m);
          controller.abort();
        },
      },
    });
    expect(r.model).toBe(model); // same class count: the head is kept
    expect(r.mixupAlpha).toBe(0.5);
    expect(lines[0].lambda).toBe(batch.lambda);
    expect(lines[0].loss).toBeCloseTo(expected, 4);
  });
});

describe('non-finite loss guard', () => {
  it('a poisoned input stops at step 0 with NonFiniteLossError (cpu, head-only)', async () => {
    // (On wasm, max pooling turns NaN windows into -Infinity and the net into zeros, so an
    // all-NaN image does not reach the loss there; cpu keeps the NaN.)
    await useBackend('cpu');
    try {
      registerAugmentation<number, undefined>('poison-test', {
        sample: () => 0,
        apply: (pixels) => void pixels.fill(NaN),
      });
      const store = new MemoryRunStore();
      const run = fineTune({
        model: tinyBiT(3),
        train: colourSource(3, 16, 1),
        batchSize: 4,
        steps: 5,
        resolution,
        headOnly: true,
        augmentations: [{ name: 'poison-test' }],
        store,
      });
      await expect(run).rejects.toThrow(NonFiniteLossError);
      await expect(run).rejects.toThrow(/training loss is NaN at step 0/);
      expect(store.metrics).toEqual([]);
    } finally {
      await useBackend('wasm');
    }
  });

  it('a poisoned weight stops at the step it breaks, before that step changes anything', async () => {
    let saved: Float32Array[] = [];
    let model: tfl.LayersModel | undefined;
    const store = new MemoryRunStore();
    const run = fineTune({
      model: tinyBiT(3),
      train: colourSource(3, 16, 1),
      batchSize: 4,
      steps: 5,
      baseLr: 0.01,
      resolution,
      store,
      callbacks: {
        onStepEnd: (m, context) => {
          if (m.step !== 1) return;
          model = context.model;
          const head = model.getLayer('resnet/head/conv2d');
          const [kernel, bias] = head.getWeights();
          const data = (kernel.dataSync() as Float32Array).slice();
          data[3] = Infinity;
          const poisoned = tf.tensor(data, kernel.shape);
          head.setWeights([poisoned, bias]);
          poisoned.dispose();
          saved = snapshot(model);
        },
      },
    });
    const error = (await run.catch((e: unknown) => e)) as NonFiniteLossError;
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect(error.name).toBe('NonFiniteLossError');
    expect(error.step).toBe(2);
    expect(error.loss).toBeNaN();
    expect(error.message).toMatch(/at step 2/);
    // Step 2 was not applied and not recorded.
    const finite = (ws: Float32Array[]) =>
      ws.map((w) => w.map((v) => (Number.isFinite(v) ? v : 0)));
    expect(maxDiff(finite(snapshot(model!)), finite(saved))).toBe(0);
    expect(store.metrics.map((l) => l.step)).toEqual([0, 1]);
  });
});

describe('head-only training', () => {
  it('trains the head and leaves every backbone weight bit for bit unchanged', async () => {
    const model = tinyBiT(3, 5);
    const r = await fineTune({
      model,
      train: colourSource(4, 16, 2),
      batchSize: 6,
      steps: 5,
      baseLr: 0.1,
      resolution,
      headOnly: true,
    });
    expect(r.status).toBe('completed');
    const names = r.model.weights.map((w) => w.name);
    const isHead = names.map((n) => n.startsWith('resnet/head/'));
    expect(isHead.filter(Boolean).length).toBe(2);
    const before = snapshot(model);
    const after = snapshot(r.model);
    // (model and r.model share the backbone; compare against a fresh copy of the start.)
    const start = snapshot(tinyBiT(3, 5));
    before.forEach((w, i) => {
      if (isHead[i]) expect(maxDiff([after[i]], [start[i]])).toBeGreaterThan(1e-4);
      else expect(maxDiff([after[i]], [start[i]])).toBe(0);
    });
  });

  it('a linear head on precomputed features learns a separable task', async () => {
    const model = tinyBiT(0, 17); // no head: one is added
    const train = colourSource(8, 16, 40);
    const val = colourSource(6, 16, 41);
    const r = await fineTune({
      model,
      train,
      val,
      batchSize: 12,
      steps: 30,
      baseLr: 0.3,
      resolution: { precrop: 16, crop: 16 },
      headOnly: true,
      precomputeFeatures: true,
    });
    expect(r.status).toBe('completed');
    expect(r.model).not.toBe(model); // a head was added
    expect(r.finalEval!.count).toBe(18);
    expect(r.finalEval!.top1).toBeGreaterThanOrEqual(0.9);
  });
});

describe('options', () => {
  it('bad options throw TrainConfigError naming the option', async () => {
    const train = colourSource(2, 16, 1);
    await expect(fineTune({ model: tinyBiT(3), train, batchSplit: 0 })).rejects.toThrow(
      /batchSplit must be an integer >= 1, got 0/,
    );
    await expect(
      fineTune({ model: tinyBiT(3), train, headOnly: false, precomputeFeatures: true }),
    ).rejects.toThrow(/precomputeFeatures needs headOnly/);
    await expect(fineTune({ model: {} as never, train })).rejects.toThrow(TrainConfigError);
    await expect(fineTune({ model: tinyBiT(3), train: {} as never })).rejects.toThrow(
      /train must be a DataSource/,
    );
    await expect(
      fineTune({ model: tinyBiT(3), train, batchSize: 4, batchSplit: 5 }),
    ).rejects.toThrow(/numMicroBatches/);
    // A resolution computed from a forgotten await: named, before anything is built.
    await expect(
      fineTune({
        model: tinyBiT(3),
        train,
        resolution: { precrop: NaN, crop: undefined as never },
      }),
    ).rejects.toThrow(/^fineTune: resolution\.crop must be a positive integer, got undefined$/);
    await expect(
      fineTune({ model: tinyBiT(3), train, resolution: { precrop: 16, crop: 20 } }),
    ).rejects.toThrow(/^fineTune: resolution\.precrop must be an integer >= crop \(20\), got 16$/);
    await expect(
      fineTune({ model: tinyBiT(3), train, resolution: { precrop: 16, crop: 20 } }),
    ).rejects.toThrow(TrainConfigError);
  });
});
