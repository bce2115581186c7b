/**
 * Full fine-tuning is correct on wasm: the gradient of every weight of the tiny BiT for one
 * (MixUp-style, soft-target) batch matches the cpu backend's, and the wasm training kernels are
 * registered by fineTune itself.
 */
import { describe, expect, it } from 'vitest';
import { planBatchSplitByCount } from '@bit/hyperrule';
import { accumulateGradients, makeTarget, prepareBackendForTraining } from '../src/index';
import { tf, useBackend } from '../../../test-utils/backends';
import { seeded, tinyBiT } from './helpers';

async function gradients(backend: 'cpu' | 'wasm'): Promise<Map<string, Float32Array>> {
  await useBackend(backend);
  prepareBackendForTraining();
  const model = tinyBiT(3, 21);
  const head = model.getLayer('resnet/head/conv2d');
  const rnd = seeded(2);
  const [k, b] = head.getWeights();
  const hw = [
    tf.tensor(
      Float32Array.from({ length: k.size }, () => (rnd() - 0.5) * 0.2),
      k.shape,
    ),
    tf.tensor(
      Float32Array.from({ length: b.size }, () => rnd() - 0.5),
      b.shape,
    ),
  ];
  head.setWeights(hw);
  tf.dispose(hw);
  const n = 2;
  const inputs = Float32Array.from({ length: n * 16 * 16 * 3 }, () => rnd());
  const targets = Float32Array.from([0.7, 0, 0.3, 0.3, 0, 0.7]);
  const { grads, loss } = await accumulateGradients(
    makeTarget(model, 'full'),
    { inputs, shape: [n, 16, 16, 3], targets, numClasses: 3 },
    planBatchSplitByCount(n, 1),
  );
  expect(Number.isFinite(loss)).toBe(true);
  const out = new Map<string, Float32Array>();
  for (const [name, g] of grads) out.set(name, (await g.data()) as Float32Array);
  tf.dispose([...grads.values()]);
  model.dispose();
  return out;
}

describe('full fine-tuning gradients: wasm against cpu', () => {
  it('every weight gets a gradient and wasm matches cpu', async () => {
    const cpu = await gradients('cpu');
    const wasm = await gradients('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    expect([...wasm.keys()]).toEqual([...cpu.keys()]);
    expect(cpu.size).toBe(2 + 17 + 2 * 13); // head, 17 convs, 13 GroupNorms
    let worst = 0;
    for (const [name, c] of cpu) {
      const w = wasm.get(name)!;
      let num = 0;
      let den = 0;
      c.forEach((v, i) => {
        num += (v - w[i]) ** 2;
        den += v * v;
      });
      expect(den, name).toBeGreaterThan(0);
      worst = Math.max(worst, Math.sqrt(num / den));
    }
    console.log(
      `worst relative L2 error of a weight gradient, wasm vs cpu: ${worst.toExponential(2)}`,
    );
    expect(worst).toBeLessThan(1e-3);
  });
});
