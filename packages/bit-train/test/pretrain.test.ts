/**
 * Upstream pre-training: the scaled-down BiT upstream recipe (plan), seeded He initialisation,
 * weight decay on kernels only and only upstream, the loss falling from scratch, and exact
 * resume with weight decay on.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { hyperRule, lrForPlan } from '@bit/hyperrule';
import { buildResNetV2, modelWeights } from '@bit/models';
import {
  fineTune,
  heInitialize,
  isEvalLine,
  MemoryRunStore,
  MomentumSgd,
  pretrain,
  pretrainSteps,
  upstreamPlan,
  type PretrainOptions,
  type StepMetrics,
} from '../src/index';
import { tf, useBackend } from '../../../test-utils/backends';
import { colourSource, maxDiff, snapshot, tinyBiT } from './helpers';

const train = colourSource(4, 16, 31);

function options(extra: Partial<PretrainOptions> = {}): PretrainOptions {
  return {
    architecture: { units: [1, 1, 1, 1], width: 0.5 },
    train,
    batchSize: 6,
    steps: 12,
    baseLr: 0.05,
    resolution: { precrop: 18, crop: 16 },
    seed: 3,
    ...extra,
  };
}

describe('upstreamPlan', () => {
  it('is the BiT upstream schedule scaled to the run: warm-up, /10 at 30, 60, 80 of 90', () => {
    const plan = upstreamPlan({
      steps: 90,
      resolution: { precrop: 36, crop: 32 },
      datasetSize: 1000,
      imageSize: [28, 28],
    });
    expect(plan.schedule).toEqual([5, 30, 60, 80, 90]);
    expect(plan.batchSize).toBe(128);
    expect(plan.baseLr).toBeCloseTo((0.03 * 128) / 256, 12);
    expect(plan.weightDecay).toBe(1e-4);
    expect(plan.momentum).toBe(0.9);
    expect(plan.mixupAlpha).toBe(0);
    expect(lrForPlan(plan, 0)).toBe(0);
    expect(lrForPlan(plan, 4)).toBeCloseTo(plan.baseLr * 0.8, 12);
    expect(lrForPlan(plan, 30)).toBeCloseTo(plan.baseLr, 12);
    expect(lrForPlan(plan, 31)).toBeCloseTo(plan.baseLr / 10, 12);
    expect(lrForPlan(plan, 61)).toBeCloseTo(plan.baseLr / 100, 12);
    expect(lrForPlan(plan, 81)).toBeCloseTo(plan.baseLr / 1000, 12);
    expect(lrForPlan(plan, 90)).toBeNull();
  });

  it('refuses bad settings, naming them', () => {
    const base = {
      resolution: { precrop: 36, crop: 32 },
      datasetSize: 10,
      imageSize: [28, 28] as const,
    };
    expect(() => upstreamPlan({ ...base, steps: 3 })).toThrow(/steps/);
    expect(() => upstreamPlan({ ...base, steps: 90, warmupSteps: 30 })).toThrow(/warmupSteps/);
    expect(() => upstreamPlan({ ...base, steps: 90, weightDecay: -1 })).toThrow(/weightDecay/);
    expect(pretrainSteps({ epochs: 2, batchSize: 128 }, 1000)).toBe(16);
    expect(() => pretrainSteps({ epochs: 2, steps: 5 }, 1000)).toThrow(/not both/);
    // Epochs too few for the schedule are named as epochs, with the steps they make.
    expect(() => pretrainSteps({ epochs: 0.01, batchSize: 128 }, 60000)).toThrow(
      /epochs 0\.01 over 60000 examples at batch 128 is 5 steps; .* at least 10/,
    );
  });
});

describe('heInitialize', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('is seeded, He-scaled per kernel, and leaves GroupNorm and the zero head alone', () => {
    const a = buildResNetV2(
      { units: [1, 1, 1, 1], width: 0.5, numClasses: 3 },
      { kernelInitializer: 'zeros' },
    );
    const b = buildResNetV2(
      { units: [1, 1, 1, 1], width: 0.5, numClasses: 3 },
      { kernelInitializer: 'zeros' },
    );
    const c = buildResNetV2(
      { units: [1, 1, 1, 1], width: 0.5, numClasses: 3 },
      { kernelInitializer: 'zeros' },
    );
    heInitialize(a, 7);
    heInitialize(b, 7);
    heInitialize(c, 8);
    expect(maxDiff(snapshot(a), snapshot(b))).toBe(0);
    expect(maxDiff(snapshot(a), snapshot(c))).toBeGreaterThan(0);
    for (const w of modelWeights(a)) {
      const v = w.variable.read().dataSync() as Float32Array;
      if (w.name.startsWith('resnet/head/')) {
        expect(v.every((x) => x === 0)).toBe(true);
      } else if (w.name.endsWith('/gamma')) {
        expect(v.every((x) => x === 1)).toBe(true);
      } else if (w.name.endsWith('/kernel')) {
        const fanIn = (w.variable.shape as number[]).slice(0, -1).reduce((p, d) => p * d, 1);
        const mean = v.reduce((s, x) => s + x, 0) / v.length;
        const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
        expect(std / Math.sqrt(2 / fanIn)).toBeGreaterThan(0.9);
        expect(std / Math.sqrt(2 / fanIn)).toBeLessThan(1.1);
      }
    }
    for (const m of [a, b, c]) m.dispose();
  });
});

describe('weight decay: on kernels, upstream only', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('MomentumSgd decays kernels by lr * wd * w and leaves GroupNorm parameters alone', () => {
    const kernel = tf.variable(tf.tensor([1, -2, 4], [1, 1, 1, 3]));
    const gamma = tf.variable(tf.tensor([1, 2, 3]));
    const opt = new MomentumSgd(
      [
        { name: 'resnet/root_block/standardized_conv2d/kernel', variable: kernel },
        { name: 'resnet/group_norm/gamma', variable: gamma },
      ],
      0.9,
      { weightDecay: 0.1 },
    );
    const zeros = new Map([
      ['resnet/root_block/standardized_conv2d/kernel', tf.zeros([1, 1, 1, 3])],
      ['resnet/group_norm/gamma', tf.zeros([3])],
    ]);
    opt.apply(zeros, 0.5);
    expect(Array.from(kernel.dataSync())).toEqual(
      [1, -2, 4].map((x) => Math.fround(x - 0.5 * 0.1 * x)),
    );
    expect(Array.from(gamma.dataSync())).toEqual([1, 2, 3]);
    expect(opt.decays('resnet/group_norm/gamma')).toBe(false);
    opt.dispose();
    tf.dispose([kernel, gamma, ...zeros.values()]);
  });
});

describe('pretrain (wasm)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('fineTune refuses a plan with weight decay; its checkpoints record none', async () => {
    const plan = {
      ...hyperRule({ datasetSize: 12, imageSize: [16, 16], batchSize: 6, steps: 5 }),
      weightDecay: 1e-4,
    };
    const model = tinyBiT(3, 2);
    await expect(fineTune({ model, train, plan })).rejects.toThrow(/weightDecay must be 0/);
    const store = new MemoryRunStore();
    const r = await fineTune({
      model,
      train,
      batchSize: 6,
      steps: 5,
      resolution: { precrop: 18, crop: 16 },
      store,
    });
    expect((await store.readCheckpoint())?.state.plan.weightDecay).toBe(0);
    r.model.dispose();
  });

  it('trains from scratch: the loss falls, the plan decays weights, metadata names the classes', async () => {
    const store = new MemoryRunStore();
    const before = tf.memory().numTensors;
    const r = await pretrain(options({ store, steps: 16 }));
    expect(r.status).toBe('completed');
    const losses = store.metrics.filter((l) => !isEvalLine(l)).map((l) => (l as StepMetrics).loss);
    expect(losses).toHaveLength(16);
    const first = (losses[0] + losses[1] + losses[2]) / 3;
    const last = (losses[13] + losses[14] + losses[15]) / 3;
    expect(last).toBeLessThan(0.6 * first);
    const ckpt = await store.readCheckpoint();
    expect(ckpt?.state.plan.weightDecay).toBe(1e-4);
    expect(ckpt?.state.plan.schedule).toEqual([1, 5, 11, 14, 16]);
    expect(r.classes).toEqual(train.metadata.classes);
    r.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('interrupted and resumed, equals the uninterrupted run bit for bit', async () => {
    const straight = await pretrain(options({ store: new MemoryRunStore() }));
    const expected = snapshot(straight.model);
    straight.model.dispose();

    const store = new MemoryRunStore();
    const controller = new AbortController();
    const first = await pretrain(
      options({
        store,
        signal: controller.signal,
        checkpointEvery: 3,
        callbacks: { onStepEnd: (m) => void (m.step === 4 && controller.abort()) },
      }),
    );
    expect(first.status).toBe('aborted');
    expect(first.step).toBe(5);
    first.model.dispose();
    // A different seed would give other initial weights: resume must take them all from the checkpoint.
    const resumed = await pretrain(options({ store, resume: true, checkpointEvery: 3 }));
    expect(resumed.status).toBe('completed');
    expect(resumed.resumedFrom).toBe(5);
    expect(maxDiff(snapshot(resumed.model), expected)).toBe(0);
    resumed.model.dispose();
    await expect(pretrain(options({ store, resume: true, weightDecay: 0 }))).rejects.toThrow(
      /weightDecay/,
    );
  });
});
