import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../../test-utils/backends';
import { createPipeline, type Batch, type PipelineOptions } from '../src/pipeline/pipeline';
import { Stream } from '../src/pipeline/stream';
import { batchToTensors, toTfDataset } from '../src/pipeline/tensors';
import { fromArrays } from '../src/sources/memory';
import { fewShot } from '../src/sources/select';
import type { DataSource } from '../src/sources/types';
import { openSource } from '../src/node';
import { sampleAugmentParams } from '../src/transforms/hyperrule';
import { applyAugment } from '../src/transforms/hyperrule';
import { Rng } from '../src/random/rng';
import { encodePng, randomImage, tempDir, writeFile } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** n random 8x10 images; label = i % k; pixel 0 red channel = i (to identify examples). */
function source(n: number, k = 3): DataSource {
  const images = randomImage(n * 8, 10, 7).data;
  for (let i = 0; i < n; i++) images[i * 240] = i;
  return fromArrays({
    images,
    shape: [n, 8, 10, 3],
    labels: Array.from({ length: n }, (_, i) => i % k),
  });
}

const base: PipelineOptions = { batchSize: 4, resolution: { precrop: 12, crop: 8 }, seed: 1 };

async function take(src: DataSource, options: PipelineOptions, count: number): Promise<Batch[]> {
  const out: Batch[] = [];
  if (count <= 0) return out;
  for await (const b of createPipeline(src, options)) {
    out.push(b);
    if (out.length >= count) break;
  }
  return out;
}

function same(a: Batch[], b: Batch[]): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => {
    expect(Array.from(x.indices)).toEqual(Array.from(b[i].indices));
    expect(x.images).toEqual(b[i].images);
    expect(x.labels).toEqual(b[i].labels);
    expect(x.lambda).toBe(b[i].lambda);
  });
}

describe('pipeline determinism', () => {
  const src = source(10);

  it('the same seed gives the same batches; different seeds differ', async () => {
    const a = await take(src, base, 6);
    same(a, await take(src, base, 6));
    const c = await take(src, { ...base, seed: 2 }, 6);
    expect(c.map((b) => Array.from(b.indices))).not.toEqual(a.map((b) => Array.from(b.indices)));
    expect(a[0].shape).toEqual([4, 8, 8, 3]);
    expect(a[0].images.length).toBe(4 * 8 * 8 * 3);
    expect(a[0].images.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('cropArea: Inception crops, seeded; the same order; a bad range is refused up front', async () => {
    const inception = { ...base, cropArea: [0.1, 1] as [number, number] };
    const a = await take(src, inception, 3);
    same(a, await take(src, inception, 3));
    const fixed = await take(src, base, 3);
    // The first epoch's order is drawn before any crop, so it is the fixed crop's.
    expect(a.slice(0, 2).map((b) => Array.from(b.indices))).toEqual(
      fixed.slice(0, 2).map((b) => Array.from(b.indices)),
    );
    expect(a[0].images).not.toEqual(fixed[0].images);
    expect(a[0].shape).toEqual([4, 8, 8, 3]);
    expect(() => createPipeline(src, { ...base, cropArea: [0, 1] })).toThrow(/cropArea/);
  });

  it('each epoch is a permutation of the data (batches cross epoch ends)', async () => {
    const b = await take(src, base, 5); // 20 examples = 2 epochs
    const order = b.flatMap((x) => Array.from(x.indices));
    expect([...order.slice(0, 10)].sort((p, q) => p - q)).toEqual([...Array(10).keys()]);
    expect([...order.slice(10, 20)].sort((p, q) => p - q)).toEqual([...Array(10).keys()]);
    expect(order.slice(0, 10)).not.toEqual(order.slice(10, 20));
    b.forEach((x) =>
      x.indices.forEach((idx, i) => expect((x.labels as Int32Array)[i]).toBe(idx % 3)),
    );
  });

  it('batch pixels are the source image transformed with the planned parameters', async () => {
    const [b] = await take(src, base, 1);
    // Replay the planner's draws: permutation first, then per item crop top/left + flip.
    const rng = new Rng(1);
    const perm = rng.shuffle(Int32Array.from({ length: 10 }, (_, i) => i));
    expect(Array.from(b.indices)).toEqual(Array.from(perm.subarray(0, 4)));
    for (let i = 0; i < 4; i++) {
      const p = sampleAugmentParams(rng, { mode: 'train', resolution: base.resolution });
      const ex = src.example(b.indices[i]).image;
      const want = applyAugment(ex as never, p).data;
      expect(b.images.subarray(i * 192, (i + 1) * 192)).toEqual(want);
    }
  });

  it.each([
    ['full shuffle', {}],
    ['buffered shuffle', { shuffle: { buffer: 3 } }],
    ['with replacement', { replacement: true }],
    ['MixUp shared over 2 steps', { mixup: { alpha: 0.4, every: 2 } }],
  ] as const)('resuming from batch.state continues identically (%s)', async (_name, extra) => {
    const options = { ...base, ...extra } as PipelineOptions;
    const all = await take(src, options, 7);
    const cut = 3;
    const state = JSON.parse(JSON.stringify(all[cut - 1].state));
    const resumed = await take(src, { ...options, state }, 7 - cut);
    same(resumed, all.slice(cut));
    expect(resumed[0].step).toBe(cut);
  });
});

describe('pipeline modes', () => {
  it('eval: file order, one pass, last partial batch kept, no augmentation', async () => {
    const src = source(10);
    const batches = await take(src, { ...base, mode: 'eval' }, 100);
    expect(batches.map((b) => b.size)).toEqual([4, 4, 2]);
    expect(batches.flatMap((b) => Array.from(b.indices))).toEqual([...Array(10).keys()]);
    expect(batches[2].images.length).toBe(2 * 192);
    const p = {
      resizeHeight: 8,
      resizeWidth: 8,
      top: 0,
      left: 0,
      height: 8,
      width: 8,
      flip: false,
    };
    expect(batches[2].images.subarray(192)).toEqual(
      applyAugment(src.example(9).image as never, p).data,
    );
  });

  it('train with finite epochs drops the remainder', async () => {
    const batches = await take(source(10), { ...base, epochs: 1 }, 100);
    expect(batches.map((b) => b.size)).toEqual([4, 4]);
  });

  it('few-shot smaller than a batch samples with replacement', async () => {
    const shots = fewShot(source(30), 2, 5); // 6 examples, batch 8
    const batches = await take(shots, { ...base, batchSize: 8 }, 5);
    const picks = batches.flatMap((b) => Array.from(b.indices));
    expect(batches.every((b) => b.size === 8)).toBe(true);
    expect(picks.every((i) => i >= 0 && i < 6)).toBe(true);
    expect(new Set(picks).size).toBe(6); // all examples drawn over 40 picks
    // Repeats inside a batch happen with replacement.
    expect(batches.some((b) => new Set(b.indices).size < 8)).toBe(true);
  });

  it('MixUp: one-hot labels mixed with the reversed batch, lambda ~ Beta', async () => {
    const src = source(12, 4);
    const mixed = await take(src, { ...base, mixup: 0.2 }, 3);
    mixed.forEach((b) => {
      expect(b.lambda).toBeGreaterThan(0);
      expect(b.lambda).toBeLessThan(1);
      // Label i = lambda * onehot(own) + (1 - lambda) * onehot(partner in reverse order).
      const lab = b.labels as Float32Array;
      for (let i = 0; i < b.size; i++) {
        const own = src.label(b.indices[i]);
        const partner = src.label(b.indices[b.size - 1 - i]);
        const want = new Float32Array(4);
        want[own] += b.lambda;
        want[partner] += 1 - b.lambda;
        for (let k = 0; k < 4; k++) expect(lab[i * 4 + k]).toBeCloseTo(want[k], 6);
      }
    });
    expect(new Set(mixed.map((b) => b.lambda)).size).toBe(3); // a new lambda every step
    expect(() => createPipeline(src, { ...base, mixup: 0.2, labels: 'index' })).toThrow(/onehot/);
  });

  it('broken files met while training are skipped with a warning and replaced', async () => {
    const dir = join(tmp.dir, 'folder');
    for (const c of ['a', 'b'])
      for (let i = 0; i < 3; i++)
        writeFile(join(dir, c, `${i}.png`), encodePng(randomImage(6, 6, i).data, 6, 6));
    writeFile(join(dir, 'b', 'broken.png'), 'nope');
    const src = await openSource(dir);
    expect(src.size).toBe(7);
    const warnings: string[] = [];
    const pipe = createPipeline(src, {
      ...base,
      batchSize: 3,
      epochs: 2,
      onWarning: (m) => warnings.push(m),
    });
    const sizes: number[] = [];
    for await (const b of pipe) sizes.push(b.size);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/broken\.png/);
    expect(pipe.skipped.map((s) => s.path)).toEqual([join(dir, 'b', 'broken.png')]);
    expect(sizes).toEqual([3, 3, 3, 3]); // 12 good of 14 planned: 2 epochs x 6 good images
  });
});

describe('streams and tensors', () => {
  it('Stream: shuffle keeps the elements, batch, repeat, take, prefetch, map', async () => {
    const s = Stream.from([1, 2, 3, 4, 5, 6, 7]);
    const shuffled = await s.shuffle(3, 9).toArray();
    expect([...shuffled].sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(shuffled).toEqual(await s.shuffle(3, 9).toArray());
    expect(await s.batch(3).toArray()).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(await s.batch(3, true).toArray()).toHaveLength(2);
    expect(await s.repeat(2).take(9).toArray()).toEqual([1, 2, 3, 4, 5, 6, 7, 1, 2]);
    expect(
      await s
        .map(async (x) => x * 2, 3)
        .prefetch(2)
        .toArray(),
    ).toEqual([2, 4, 6, 8, 10, 12, 14]);
    await expect(
      Stream.from([1, 2])
        .map((x) => {
          if (x === 2) throw new Error('boom');
          return x;
        })
        .toArray(),
    ).rejects.toThrow('boom');
  });

  it('batchToTensors and toTfDataset (tf.data module passed in)', async () => {
    await useBackend('cpu');
    const src = source(8);
    const before = tf.memory().numTensors;
    const [b] = await take(src, base, 1);
    const t = batchToTensors(b);
    expect(t.images.shape).toEqual([4, 8, 8, 3]);
    expect(t.labels.dtype).toBe('int32');
    expect(Array.from(t.images.dataSync())).toEqual(Array.from(b.images));
    tf.dispose([t.images, t.labels]);
    // A minimal stand-in for tf.data.generator: collects the iterator's elements.
    const fakeTfData = {
      generator: (fn: () => AsyncIterator<{ xs: tf.Tensor; ys: tf.Tensor }>) => ({ iterator: fn }),
    };
    const ds = toTfDataset(createPipeline(src, { ...base, mode: 'eval' }), fakeTfData);
    const it = ds.iterator();
    const shapes: number[][] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) {
      shapes.push(r.value.xs.shape);
      tf.dispose([r.value.xs, r.value.ys]);
    }
    expect(shapes).toEqual([
      [4, 8, 8, 3],
      [4, 8, 8, 3],
    ]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
