/**
 * Exact resume: a run interrupted at step k and resumed to N equals the uninterrupted run to N
 * (weights bit for bit, metrics lines), every step is recorded once, and each step's lr is the
 * HyperRule plan's.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { lrForPlan } from '@bit/hyperrule';
import {
  fineTune,
  isEvalLine,
  MemoryRunStore,
  type FineTuneOptions,
  type StepMetrics,
} from '../src/index';
import { useBackend } from '../../../test-utils/backends';
import { colourSource, maxDiff, snapshot, tinyBiT } from './helpers';

const train = colourSource(4, 16, 21);
const val = colourSource(2, 16, 22);

function options(store: MemoryRunStore, extra: Partial<FineTuneOptions> = {}): FineTuneOptions {
  return {
    model: tinyBiT(5, 9), // 5 classes in the head: replaced by a new 3-class head
    train,
    val,
    batchSize: 6,
    steps: 6,
    baseLr: 0.02,
    mixup: 0.3,
    seed: 5,
    resolution: { precrop: 20, crop: 16 },
    evalEvery: 2,
    checkpointEvery: 4,
    evalBatchSize: 8,
    store,
    ...extra,
  };
}

/** Drops the timing field, which differs between runs. */
const comparable = (lines: readonly object[]) =>
  lines.map((l) => {
    const { imagesPerSecond: _t, ...rest } = l as StepMetrics;
    return rest;
  });

describe('checkpoint and exact resume (wasm)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('interrupt at step 3 + resume to 6 equals an uninterrupted run', async () => {
    const straightStore = new MemoryRunStore();
    const straight = await fineTune(options(straightStore));
    expect(straight.status).toBe('completed');
    expect(straight.step).toBe(6);
    const straightWeights = snapshot(straight.model);

    // lr of every step is the plan's; each step recorded once, in order.
    const steps = straightStore.metrics.filter((l) => !isEvalLine(l)) as StepMetrics[];
    expect(steps.map((l) => l.step)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const l of steps) expect(l.lr).toBe(lrForPlan(straight.plan, l.step));
    expect(new Set(steps.map((l) => l.lambda)).size).toBeGreaterThan(1); // MixUp is on
    const evals = straightStore.metrics.filter(isEvalLine);
    expect(evals.map((l) => l.step)).toEqual([2, 4, 6]);

    // Interrupted: abort after step index 2 (3 steps done); a checkpoint is written at 3.
    const store = new MemoryRunStore();
    const controller = new AbortController();
    const first = await fineTune(
      options(store, {
        signal: controller.signal,
        callbacks: { onStepEnd: (m) => void (m.step === 2 && controller.abort()) },
      }),
    );
    expect(first.status).toBe('aborted');
    expect(first.step).toBe(3);
    const ckpt = await store.readCheckpoint();
    expect(ckpt?.state.step).toBe(3);
    expect(ckpt?.state.finished).toBe(false);
    expect(ckpt?.state.data?.step).toBe(3);
    // Lines that a crash could leave behind after the checkpoint are dropped on resume.
    await store.appendMetrics([{ step: 3, loss: 9, lr: 9, imagesPerSecond: 1, lambda: 1 }]);

    // Resume with a fresh model object (different initial weights: all come from the checkpoint).
    const checkpoints: number[] = [];
    const resumed = await fineTune(
      options(store, {
        model: tinyBiT(5, 99),
        resume: true,
        callbacks: { onCheckpoint: (c) => void checkpoints.push(c.step) },
      }),
    );
    expect(resumed.status).toBe('completed');
    expect(resumed.resumedFrom).toBe(3);
    expect(resumed.step).toBe(6);
    expect(checkpoints).toEqual([4, 6]);
    expect(maxDiff(snapshot(resumed.model), straightWeights)).toBe(0);
    expect(comparable(store.metrics)).toEqual(comparable(straightStore.metrics));

    // The final checkpoint says finished: resuming again trains nothing and records nothing.
    const again = await fineTune(options(store, { model: tinyBiT(5, 1), resume: true }));
    expect(again.status).toBe('completed');
    expect(again.lastLoss).toBeUndefined();
    expect(maxDiff(snapshot(again.model), straightWeights)).toBe(0);
    expect(comparable(store.metrics)).toEqual(comparable(straightStore.metrics));
  });

  it('refuses to resume a checkpoint written with other settings', async () => {
    const store = new MemoryRunStore();
    const controller = new AbortController();
    controller.abort();
    await fineTune(options(store, { signal: controller.signal, val: undefined }));
    expect((await store.readCheckpoint())?.state.step).toBe(0);
    await expect(
      fineTune(options(store, { resume: true, seed: 6, val: undefined })),
    ).rejects.toThrow(/seed 5 in the checkpoint, 6 now/);
    // The augmentation is part of the settings too: other crops would not resume exactly.
    expect((await store.readCheckpoint())?.state.augmentation).toEqual({ crop: true, flip: true });
    for (const other of [{ flip: false }, { cropArea: [0.5, 1] as [number, number] }]) {
      await expect(
        fineTune(options(store, { resume: true, val: undefined, ...other })),
      ).rejects.toThrow(/augmentation \{"crop":true,"flip":true\} in the checkpoint/);
    }
    // A checkpoint from before augmentation was recorded resumes as before.
    const old = await store.readCheckpoint();
    const { augmentation: _dropped, ...legacy } = old!.state;
    await store.writeCheckpoint({ ...old!, state: legacy });
    const resumed = await fineTune(options(store, { resume: true, val: undefined }));
    expect(resumed.resumedFrom).toBe(0);
  });
});

describe('exact resume on cpu (head-only and precomputed features)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  for (const precomputeFeatures of [false, true]) {
    it(`bitwise equal after interrupt + resume (precomputeFeatures: ${precomputeFeatures})`, async () => {
      const extra = { headOnly: true, precomputeFeatures, baseLr: 0.5, evalEvery: 3 } as const;
      const straightStore = new MemoryRunStore();
      const straight = await fineTune(options(straightStore, extra));
      const store = new MemoryRunStore();
      const controller = new AbortController();
      const first = await fineTune(
        options(store, {
          ...extra,
          signal: controller.signal,
          callbacks: { onStepEnd: (m) => void (m.step === 3 && controller.abort()) },
        }),
      );
      expect(first.step).toBe(4);
      const resumed = await fineTune(
        options(store, { ...extra, model: tinyBiT(5, 9), resume: true }),
      );
      expect(resumed.step).toBe(6);
      const head = (r: typeof straight) =>
        r.model
          .getLayer('resnet/head/conv2d')
          .getWeights()
          .map((w) => w.dataSync() as Float32Array);
      expect(
        maxDiff(
          head(straight),
          head(straight).map((a) => a.map(() => 0)),
        ),
      ).toBeGreaterThan(0);
      expect(maxDiff(head(resumed), head(straight))).toBe(0);
      expect(comparable(store.metrics)).toEqual(comparable(straightStore.metrics));
    });
  }
});
