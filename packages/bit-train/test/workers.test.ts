/**
 * Data-parallel training over worker threads: workers 2 gives the update of workers 1 (weights
 * within float tolerance) with batch split, MixUp and an odd batch; a run resumes across worker
 * counts; a failing worker surfaces as a TrainWorkerError; no tensors leak here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { planBatchSplitByCount } from '@bit/hyperrule';
import {
  fineTune,
  MemoryRunStore,
  planShards,
  TrainConfigError,
  TrainWorkerError,
  type FineTuneOptions,
  type StepMetrics,
} from '../src/index';
import { createTrainWorkers } from '../src/node';
import { tf, useBackend } from '../../../test-utils/backends';
import { colourSource, maxDiff, snapshot, tinyBiT } from './helpers';

const train = colourSource(4, 16, 3);

function options(extra: Partial<FineTuneOptions> = {}): FineTuneOptions {
  return {
    model: extra.model ?? tinyBiT(3, 7),
    train,
    batchSize: 7, // odd: shards 4 + 3
    steps: 5,
    baseLr: 0.05,
    mixup: 0.2,
    seed: 11,
    resolution: { precrop: 18, crop: 16 },
    ...extra,
  };
}

/** Relative max difference of two weight snapshots (to the largest weight change). */
function relative(a: Float32Array[], b: Float32Array[], before: Float32Array[]): number {
  return maxDiff(a, b) / maxDiff(before, a);
}

const stepLines = (store: MemoryRunStore) =>
  (store.metrics as StepMetrics[])
    .filter((l) => 'loss' in l)
    .map(({ imagesPerSecond: _t, ...rest }) => rest);

describe('planShards', () => {
  it('splits a batch so the shard sizes add up and the weights are shares of the batch', () => {
    for (const [batch, k, replicas] of [
      [7, 1, 2],
      [7, 3, 2],
      [8, 4, 2],
      [5, 1, 3],
      [2, 1, 4],
      [9, 2, 3],
    ]) {
      const split = planBatchSplitByCount(batch, k);
      const shards = planShards(split, replicas);
      expect(shards.length).toBe(Math.min(replicas, batch));
      expect(shards.reduce((s, x) => s + x.plan.batchSize, 0)).toBe(batch);
      const weights = shards.flatMap((s) => s.plan.weights);
      expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      const sizes = shards.flatMap((s) => s.plan.microBatchSizes);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(split.microBatch);
      let offset = 0;
      for (const s of shards) {
        expect(s.offset).toBe(offset);
        offset += s.plan.batchSize;
      }
    }
    // As many micro-batches as replicas or more: the plan's own micro-batches, grouped.
    expect(planShards(planBatchSplitByCount(7, 3), 2).map((s) => s.plan.microBatchSizes)).toEqual([
      [3, 2],
      [2],
    ]);
  });
});

describe('data-parallel fine-tuning on wasm', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('workers 2 equals workers 1 (odd batch, MixUp, batch split); nothing leaks', async () => {
    for (const batchSplit of [1, 3]) {
      const oneStore = new MemoryRunStore();
      const one = await fineTune(options({ batchSplit, store: oneStore }));
      const model = tinyBiT(3, 7);
      const start = snapshot(model);
      const before = tf.memory().numTensors;
      const twoStore = new MemoryRunStore();
      const two = await fineTune(
        options({
          batchSplit,
          store: twoStore,
          model,
          gradientExecutor: createTrainWorkers({ workers: 2 }),
        }),
      );
      expect(two.status).toBe('completed');
      expect(two.step).toBe(one.step);
      expect(relative(snapshot(one.model), snapshot(two.model), start)).toBeLessThan(1e-5);
      expect(maxDiff(snapshot(one.model), snapshot(two.model))).toBeLessThan(1e-5);
      const a = stepLines(oneStore);
      const b = stepLines(twoStore);
      expect(b.map((l) => l.lambda)).toEqual(a.map((l) => l.lambda)); // the same batches
      b.forEach((l, i) => expect(l.loss).toBeCloseTo(a[i].loss, 5));
      // The model (same object: the head already has 3 classes) is all that stays.
      expect(two.model).toBe(model);
      expect(tf.memory().numTensors - before).toBe(0);
      one.model.dispose();
      model.dispose();
    }
  });

  it('a run resumes across worker counts (2 -> 1 and 1 -> 2)', async () => {
    const straight = await fineTune(options({ steps: 6 }));
    const expected = snapshot(straight.model);
    straight.model.dispose();
    for (const [first, second] of [
      [2, 1],
      [1, 2],
    ]) {
      const store = new MemoryRunStore();
      const controller = new AbortController();
      const executor = (n: number) => (n > 1 ? createTrainWorkers(n) : undefined);
      const a = await fineTune(
        options({
          steps: 6,
          store,
          signal: controller.signal,
          gradientExecutor: executor(first),
          callbacks: { onStepEnd: (m) => void (m.step === 2 && controller.abort()) },
        }),
      );
      expect(a.status).toBe('aborted');
      expect(a.step).toBe(3);
      const b = await fineTune(
        options({ steps: 6, store, resume: true, gradientExecutor: executor(second) }),
      );
      expect(b.status).toBe('completed');
      expect(b.resumedFrom).toBe(3);
      expect(maxDiff(snapshot(b.model), expected)).toBeLessThan(1e-5);
      a.model.dispose();
      b.model.dispose();
    }
  });

  it('a worker that cannot start surfaces as a TrainWorkerError; bad counts are config errors', async () => {
    const model = tinyBiT(3, 7);
    const before = tf.memory().numTensors;
    const err = await fineTune(
      options({
        model,
        gradientExecutor: createTrainWorkers({ workers: 2, backend: 'no-such-backend' }),
      }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainWorkerError);
    expect((err as TrainWorkerError).worker).toBe(1);
    expect((err as Error).message).toMatch(/no-such-backend/);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    expect(() => createTrainWorkers(0)).toThrow(TrainConfigError);
    expect(() => createTrainWorkers(1.5)).toThrow(/workers must be an integer/);
  });

  it('an error thrown in a worker step surfaces as a TrainWorkerError', async () => {
    // A worker script that starts, then fails every step.
    const { writeFile, mkdtemp } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'bit-worker-'));
    const script = join(dir, 'failing-worker.mjs');
    await writeFile(
      script,
      `import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m.type === 'init') parentPort.postMessage({ type: 'ready' });
  else parentPort.postMessage({ type: 'error', id: m.id, name: 'RangeError', message: 'out of memory in the worker' });
});`,
    );
    const model = tinyBiT(3, 7);
    const err = await fineTune(
      options({ model, gradientExecutor: createTrainWorkers({ workers: 2, workerUrl: script }) }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainWorkerError);
    expect((err as TrainWorkerError).remoteName).toBe('RangeError');
    expect((err as Error).message).toMatch(/out of memory in the worker/);
    model.dispose();
  });
});
