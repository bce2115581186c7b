/**
 * The embedded model (BiT-FMNIST-R14x0.5, shipped in assets/): loads by name with no network and
 * an empty cache, carries its Fashion-MNIST class names and resolution, reproduces the logits
 * recorded when it was shipped, and is in the official layout: an independent reader (fflate's
 * unzip + a regex .npy parser) and an independent float64 forward pass give the same logits.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, tf, useBackend } from '../../../test-utils/backends';
import {
  checkpointLayout,
  EMBEDDED_MODEL,
  getBiTMetadata,
  getModelEntry,
  listModels,
  loadBiT,
  predict,
  saveBiT,
} from '@bit/models/node';
import { embeddedCheckpointPath } from '../src/node/embedded';
import { parseNpyReference } from './helpers/npz-reference';
import { referenceForward, type Weights } from './helpers/reference-resnet';

const FIXTURE = join(__dirname, 'fixtures', 'embedded');
const expected = JSON.parse(readFileSync(join(FIXTURE, 'expected.json'), 'utf8')) as {
  labels: number[];
  logits: number[];
  shape: [number, number];
};
const emptyCache = mkdtempSync(join(tmpdir(), 'bit-empty-cache-'));
afterAll(() => rmSync(emptyCache, { recursive: true, force: true }));
const offline = {
  cacheDir: emptyCache,
  fetch: (() => {
    throw new Error('the embedded model must not touch the network');
  }) as unknown as typeof fetch,
};

function readNpzIndependently(path: string): Map<string, { shape: number[]; data: Float64Array }> {
  const files = unzipSync(new Uint8Array(readFileSync(path)));
  const out = new Map<string, { shape: number[]; data: Float64Array }>();
  for (const [name, bytes] of Object.entries(files)) {
    const npy = parseNpyReference(bytes);
    out.set(name.replace(/\.npy$/, ''), { shape: npy.shape, data: npy.values });
  }
  return out;
}

function relL2(a: ArrayLike<number>, e: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < e.length; i++) {
    num += (a[i] - e[i]) ** 2;
    den += e[i] ** 2;
  }
  return Math.sqrt(num / den);
}

const input = readNpzIndependently(join(FIXTURE, 'input.npz')).get('input')!;

describe('the embedded model', () => {
  it('is a zoo entry marked embedded, a float16 official-layout .npz of at most 10 MB', () => {
    const entry = getModelEntry(EMBEDDED_MODEL);
    expect(entry.embedded).toBe(true);
    expect(
      listModels()
        .filter((e) => e.embedded)
        .map((e) => e.name),
    ).toContain(EMBEDDED_MODEL);
    const path = embeddedCheckpointPath(entry);
    expect(statSync(path).size).toBeLessThanOrEqual(10 * 1024 * 1024);
    const files = unzipSync(new Uint8Array(readFileSync(path)));
    const names = Object.keys(files).map((n) => n.replace(/\.npy$/, ''));
    expect(names.sort()).toEqual(
      checkpointLayout(entry.architecture)
        .map((e) => e.name)
        .sort(),
    );
    for (const bytes of Object.values(files)) expect(parseNpyReference(bytes).descr).toBe('<f2');
  });

  it('an independent float64 forward pass of the official model reproduces the recorded logits', () => {
    const weights: Weights = new Map();
    for (const [name, w] of readNpzIndependently(
      embeddedCheckpointPath(getModelEntry(EMBEDDED_MODEL)),
    ))
      weights.set(name, w);
    const ref = referenceForward(weights, [1, 1, 1, 1], { shape: input.shape, data: input.data });
    expect(relL2(expected.logits, ref.logits!.data)).toBeLessThan(1e-4);
    // The same decisions: the reference's top class is the recorded one for every image.
    const k = expected.shape[1];
    const argmax = (v: ArrayLike<number>, i: number) => {
      const row = Array.from(v).slice(i * k, (i + 1) * k);
      return row.indexOf(Math.max(...row));
    };
    for (let i = 0; i < expected.shape[0]; i++) {
      expect(argmax(ref.logits!.data, i)).toBe(argmax(expected.logits, i));
    }
  });

  describe.each(BACKENDS)('on %s', (backend) => {
    beforeAll(() => useBackend(backend));

    it('loads by name offline (empty cache, no fetch) with its labels and resolution, and reproduces the recorded logits', async () => {
      const before = tf.memory().numTensors;
      const model = await loadBiT(EMBEDDED_MODEL, offline);
      const meta = getBiTMetadata(model)!;
      expect(meta.labels).toBe('fashion-mnist-0-4');
      expect(meta.resolution).toBe(32);
      expect(meta.architecture).toEqual({ units: [1, 1, 1, 1], width: 0.5, numClasses: 5 });
      const x = tf.tensor4d(
        Float32Array.from(input.data),
        input.shape as [number, number, number, number],
      );
      const logits = model.predict(x) as tf.Tensor;
      expect(relL2(await logits.data(), expected.logits)).toBeLessThan(1e-4);
      const top = await predict(model, x, { topK: 1 });
      expect(top[0].top[0].label).toBe(
        ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat'][top[0].top[0].index],
      );
      tf.dispose([x, logits]);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

    it('exported back to .npz, it is in the official layout: a float64 reference reproduces its logits', async () => {
      const model = await loadBiT(EMBEDDED_MODEL, offline);
      const file = join(emptyCache, `exported-${backend}.npz`);
      await saveBiT(model, file, { format: 'npz' });
      const x = tf.tensor4d(
        Float32Array.from(input.data),
        input.shape as [number, number, number, number],
      );
      const logits = model.predict(x) as tf.Tensor;
      const weights: Weights = new Map(readNpzIndependently(file));
      expect([...weights.keys()].sort()).toEqual(
        checkpointLayout(getModelEntry(EMBEDDED_MODEL).architecture)
          .map((e) => e.name)
          .sort(),
      );
      const ref = referenceForward(weights, [1, 1, 1, 1], { shape: input.shape, data: input.data });
      expect(relL2(await logits.data(), ref.logits!.data)).toBeLessThan(1e-4);
      tf.dispose([x, logits]);
      model.dispose();
    });
  });
});
