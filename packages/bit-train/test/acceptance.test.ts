/**
 * The acceptance scenario (wasm): an easy 3-class task (solid red / green / blue
 * images with noise, 32 px) reaches >= 90% top-1 on held-out images within 40 steps of batch
 * 16, with the default HyperRule learning rate, and no tensors leak across steps.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fineTune, evaluate, MemoryRunStore, type EvalMetrics } from '../src/index';
import { tf, useBackend } from '../../../test-utils/backends';
import { colourSource, tinyBiT } from './helpers';

describe('acceptance: easy 3-class task', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('>= 90% top-1 on held-out images in 40 steps of 16; tensor count stable', async () => {
    const train = colourSource(16, 32, 100);
    const val = colourSource(10, 32, 200);
    const tensors: number[] = [];
    const evals: EvalMetrics[] = [];
    const store = new MemoryRunStore();
    const start = performance.now();
    const result = await fineTune({
      model: tinyBiT(10, 3), // a 10-class head: replaced by a zero-initialised 3-class one
      train,
      val,
      batchSize: 16,
      steps: 40,
      resolution: { precrop: 32, crop: 24 },
      evalEvery: 20,
      store,
      callbacks: {
        onStepEnd: () => void tensors.push(tf.memory().numTensors),
        onEvalEnd: (m) => void evals.push(m),
      },
    });
    const seconds = (performance.now() - start) / 1000;
    expect(result.status).toBe('completed');
    expect(result.step).toBe(40);
    expect(result.plan.baseLr).toBe(0.003);
    expect(result.classes).toEqual(['red', 'green', 'blue']);
    expect(result.finalEval!.count).toBe(30);
    expect(result.finalEval!.top1).toBeGreaterThanOrEqual(0.9);
    expect(evals.map((e) => e.step)).toEqual([20, 40]);
    // Every step's tensors are freed: the count is flat from step 2 on (eval steps included).
    expect(new Set(tensors.slice(2)).size).toBe(1);
    // The returned model carries its class names and resolution; a fresh eval agrees.
    const again = await evaluate(result.model, val);
    expect(again.top1).toBe(result.finalEval!.top1);
    expect(store.model?.userDefinedMetadata).toMatchObject({
      bit: { labels: ['red', 'green', 'blue'], resolution: 24, architecture: { numClasses: 3 } },
    });
    const steps = store.metrics.filter((l) => !('split' in l)).length;
    console.log(
      `acceptance: top1 ${result.finalEval!.top1}, ${(steps / seconds).toFixed(2)} steps/s ` +
        `(${seconds.toFixed(1)} s incl. 2 evals) on ${tf.getBackend()}`,
    );
  });
});
