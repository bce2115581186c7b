/**
 * Numerics against the numpy-written fixtures: every checkpoint reproduces the float64
 * reference outputs (root, block1..4, prelogits, logits) to < 1e-4 relative L2 in float32.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, tf, useBackend } from '../../../test-utils/backends';
import {
  endpointsModel,
  features,
  getBiTMetadata,
  loadBiT,
  openNpzFile,
  predict,
  type EndpointName,
} from '@bit/models/node';

const FIXTURES = join(__dirname, 'fixtures');
const NAMES = ['bit-tiny', 'bit-odd-f16', 'bit-features'] as const;

interface Fixture {
  spec: {
    units: number[];
    width: number;
    classes: number;
    params: number;
    shapes: Record<string, number[]>;
  };
  input: tf.Tensor4D;
  expected: Map<string, { shape: number[]; data: Float64Array }>;
}

async function readNpy(path: string) {
  const buf = new Uint8Array(await readFile(path));
  const headerLen = buf[8] | (buf[9] << 8);
  const header = new TextDecoder().decode(buf.subarray(10, 10 + headerLen));
  const shape = /'shape': \(([^)]*)\)/
    .exec(header)![1]
    .split(',')
    .filter((s) => s.trim())
    .map(Number);
  const data = new Float32Array(buf.slice(10 + headerLen).buffer);
  return { shape, data };
}

async function loadFixture(name: string): Promise<Fixture> {
  const dir = join(FIXTURES, name);
  const spec = JSON.parse(await readFile(join(dir, 'spec.json'), 'utf8'));
  const { shape, data } = await readNpy(join(dir, 'input.npy'));
  const archive = await openNpzFile(join(dir, 'expected.npz'));
  const expected = new Map<string, { shape: number[]; data: Float64Array }>();
  for (const e of archive.entries) {
    const raw = await archive.readRaw(e.name);
    expected.set(e.name, { shape: raw.shape, data: raw.data as Float64Array });
  }
  await archive.close();
  return { spec, input: tf.tensor4d(data, shape as [number, number, number, number]), expected };
}

function relL2(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < expected.length; i++) {
    num += (actual[i] - expected[i]) ** 2;
    den += expected[i] ** 2;
  }
  return Math.sqrt(num / den);
}

describe.each(BACKENDS)('fixtures on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  for (const name of NAMES) {
    describe(name, () => {
      let fx: Fixture;
      beforeAll(async () => {
        fx = await loadFixture(name);
      });
      afterAll(() => fx.input.dispose());

      it('infers the architecture and reproduces every endpoint to < 1e-4', async () => {
        const model = await loadBiT(join(FIXTURES, name, 'weights.npz'));
        const arch = getBiTMetadata(model)!.architecture;
        expect(arch.units).toEqual(fx.spec.units);
        expect(arch.width).toBe(fx.spec.width);
        expect(arch.numClasses).toBe(fx.spec.classes);
        expect(model.countParams()).toBe(fx.spec.params);
        const names = [...fx.expected.keys()] as EndpointName[];
        const ep = endpointsModel(model, names);
        const outs = ep.predict(fx.input) as tf.Tensor[];
        for (const [i, n] of names.entries()) {
          const exp = fx.expected.get(n)!;
          expect(outs[i].shape, n).toEqual(exp.shape);
          const err = relL2(await outs[i].data(), exp.data);
          expect(err, `${n} rel L2`).toBeLessThan(1e-4);
        }
        tf.dispose(outs);
        model.dispose();
      });

      it('predict and features give the logits and pre-logits, leak-free', async () => {
        const model = await loadBiT(join(FIXTURES, name, 'weights.npz'));
        await features(model, fx.input); // warm the kernel caches
        const before = tf.memory().numTensors;
        const feats = await features(model, fx.input, { batchSize: 1 });
        const pre = fx.expected.get('prelogits')!;
        expect(feats.length).toBe(pre.shape[0]);
        expect(relL2(Float32Array.from(feats.flatMap((f) => [...f])), pre.data)).toBeLessThan(1e-4);
        if (fx.expected.has('logits')) {
          const preds = await predict(model, fx.input, { topK: 3, logits: true, labels: null });
          const logits = fx.expected.get('logits')!;
          expect(
            relL2(
              preds.flatMap((p) => p.logits!),
              logits.data,
            ),
          ).toBeLessThan(1e-4);
          const k = logits.shape[1];
          for (const [r, p] of preds.entries()) {
            const row = Array.from(logits.data.subarray(r * k, (r + 1) * k));
            const best = row.indexOf(Math.max(...row));
            expect(p.top[0].index).toBe(best);
            expect(p.top.length).toBe(3);
            expect(p.top[0].score).toBeGreaterThanOrEqual(p.top[1].score);
          }
        }
        expect(tf.memory().numTensors).toBe(before);
        model.dispose();
      });
    });
  }
});
