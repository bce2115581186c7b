import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../../test-utils/backends';
import { CIFAR10_CLASSES, CIFAR100_COARSE_CLASSES } from '../src/formats/cifar';
import { parseCsvManifest, parseCsvRows, parseJsonlManifest } from '../src/formats/manifest';
import { isLazyImage, type DecodedImage } from '../src/image';
import { fromArrays, fromTensors } from '../src/sources/memory';
import { fewShot, selectClasses } from '../src/sources/select';
import type { DataSource } from '../src/sources/types';
import { DataFormatError } from '../src/errors';
import { inspectSource, openSource } from '../src/node';
import { encodePng, randomImage, tempDir, writeFile, writeIdxFolder } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** A memory source with `perClass[k]` examples of class k; pixel 0 holds the example index. */
function labelled(perClass: number[]): DataSource {
  const labels: number[] = [];
  perClass.forEach((n, k) => {
    for (let i = 0; i < n; i++) labels.push(k);
  });
  const images = new Uint8Array(labels.length * 2 * 2 * 3);
  labels.forEach((_, i) => (images[i * 12] = i));
  return fromArrays({ images, shape: [labels.length, 2, 2, 3], labels });
}

function image(source: DataSource, i: number): DecodedImage {
  const im = source.example(i).image;
  if (isLazyImage(im)) throw new Error('expected decoded');
  return im;
}

describe('in-memory sources', () => {
  it('fromArrays: gray to RGB, float quantised, metadata', () => {
    const s = fromArrays({
      images: Float32Array.from([0, 1, 0.5, 0.2]),
      shape: [2, 1, 2, 1],
      labels: [1, 0],
    });
    expect(s.metadata).toMatchObject({
      format: 'memory',
      classes: ['0', '1'],
      numExamples: 2,
      classCounts: [1, 1],
      height: 1,
      width: 2,
      channels: 1,
    });
    expect(Array.from(image(s, 0).data)).toEqual([0, 0, 0, 255, 255, 255]);
    expect(Array.from(image(s, 1).data)).toEqual([128, 128, 128, 51, 51, 51]);
    expect(() =>
      fromArrays({ images: new Uint8Array(5), shape: [2, 1, 2, 1], labels: [0, 1] }),
    ).toThrow(/values/);
  });

  it('fromTensors reads int and float tensors', async () => {
    await useBackend('cpu');
    const t = tf.tensor4d([0, 0.5, 1, 1, 0, 0], [2, 1, 1, 3]);
    const s = await fromTensors(t, tf.tensor1d([1, 0], 'int32'));
    expect(Array.from(image(s, 0).data)).toEqual([0, 128, 255]);
    expect(s.label(0)).toBe(1);
    t.dispose();
  });
});

describe('class subsets and few-shot', () => {
  it('selectClasses keeps classes 5-9 relabelled 0..4', () => {
    const s = labelled([3, 1, 2, 2, 1, 4, 3, 2, 1, 5]);
    const sub = selectClasses(s, '5-9');
    expect(sub.metadata.classes).toEqual(['5', '6', '7', '8', '9']);
    expect(sub.metadata.classCounts).toEqual([4, 3, 2, 1, 5]);
    for (let i = 0; i < sub.size; i++) {
      const original = image(sub, i).data[0];
      expect(sub.label(i)).toBe(s.label(original) - 5);
    }
    const picked = selectClasses(s, [7, 2]);
    expect(picked.metadata.classCounts).toEqual([2, 2]);
    expect(picked.metadata.classes).toEqual(['7', '2']);
    expect(() => selectClasses(s, [3, 3])).toThrow(/twice/);
    expect(() => selectClasses(s, [10])).toThrow(/outside/);
  });

  it('fewShot takes exactly k per class, depends on the seed, and fails when a class is short', () => {
    const s = labelled([10, 8, 12, 9]);
    const a = fewShot(s, 5, 1);
    expect(a.size).toBe(20);
    expect(a.metadata.classCounts).toEqual([5, 5, 5, 5]);
    const ids = (src: DataSource): number[] =>
      Array.from({ length: src.size }, (_, i) => image(src, i).data[0]);
    const idsA = ids(a);
    expect(new Set(idsA).size).toBe(20); // no repeats
    idsA.forEach((orig, i) => expect(s.label(orig)).toBe(a.label(i)));
    expect(ids(fewShot(s, 5, 1))).toEqual(idsA);
    expect(ids(fewShot(s, 5, 2))).not.toEqual(idsA);
    expect(() => fewShot(s, 9, 0)).toThrow(/class 1 .* only 8/);
  });

  it('the registry applies classes + examplesPerClass from options', async () => {
    const s = labelled([4, 4, 4]);
    const arrays = {
      images: new Uint8Array(12 * 12),
      shape: [12, 2, 2, 3] as [number, number, number, number],
      labels: Array.from({ length: 12 }, (_, i) => s.label(i)),
    };
    const opened = await openSource(arrays, { classes: [1, 2], examplesPerClass: 2, seed: 3 });
    expect(opened.metadata.classCounts).toEqual([2, 2]);
    await expect(openSource(42)).rejects.toThrow(/no data source recognises/);
    await expect(openSource({ format: 'nope' })).rejects.toThrow(/unknown source format/);
  });
});

describe('manifests', () => {
  it('parses CSV with quotes, CRLF and a split column', () => {
    expect(parseCsvRows('a,"b,""c"""\r\nd,e\n').map((r) => r.fields)).toEqual([
      ['a', 'b,"c"'],
      ['d', 'e'],
    ]);
    const rows = parseCsvManifest('path,label,split\n"x, 1.png",cat,train\ny.png,3,test\n');
    expect(rows).toEqual([
      { path: 'x, 1.png', label: 'cat', split: 'train', line: 2 },
      { path: 'y.png', label: 3, split: 'test', line: 3 },
    ]);
    expect(() => parseCsvManifest('foo,bar\n1,2\n', 'm.csv')).toThrow(/m.csv: the header needs/);
    expect(() => parseJsonlManifest('{"path": "a.png"}\n', 'm.jsonl')).toThrow(/m.jsonl:1/);
  });

  it('opens CSV and JSONL manifests with relative paths, name and integer labels', async () => {
    const dir = join(tmp.dir, 'manifest');
    for (let i = 0; i < 4; i++) {
      const im = randomImage(5, 6, i);
      writeFile(join(dir, 'img', `${i}.png`), encodePng(im.data, 5, 6));
    }
    writeFile(join(dir, 'train.csv'), 'image,class\nimg/0.png,dog\nimg/1.png,cat\nimg/2.png,dog\n');
    writeFile(
      join(dir, 'data.jsonl'),
      '{"path":"img/3.png","label":2,"split":"test"}\n\n{"path":"img/0.png","label":0,"split":"train"}\n',
    );
    const csv = await openSource(dir);
    expect(csv.metadata).toMatchObject({
      format: 'csv',
      classes: ['cat', 'dog'],
      classCounts: [1, 2],
      numExamples: 3,
    });
    expect(csv.label(0)).toBe(1);
    const first = csv.example(0).image;
    expect(isLazyImage(first) && (await first.load()).width).toBe(6);
    const jsonl = await openSource(join(dir, 'data.jsonl'), { split: 'test' });
    expect(jsonl.metadata).toMatchObject({
      format: 'jsonl',
      classes: ['0', '1', '2'],
      numExamples: 1,
      split: 'test',
    });
    expect(jsonl.label(0)).toBe(2);
  });
});

describe('IDX (MNIST-style)', () => {
  it('a damaged gzip file is a DataFormatError naming it', async () => {
    const dir = join(tmp.dir, 'fashion-badgz');
    writeIdxFolder(dir, { train: 3, test: 2 }, true);
    const bad = join(dir, 'train-images-idx3-ubyte.gz');
    writeFile(bad, Uint8Array.from([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8]));
    const e = await openSource(dir).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(DataFormatError);
    expect((e as DataFormatError).path).toBe(bad);
    expect((e as Error).message).toMatch(/train-images-idx3-ubyte\.gz: damaged gzip data/);
  });

  it.each([true, false])('gzip=%s: reads both splits with the standard names', async (gzip) => {
    const dir = join(tmp.dir, gzip ? 'fashion-gz' : 'mnist-raw');
    const truth = writeIdxFolder(dir, { train: 12, test: 7 }, gzip);
    const train = await openSource(dir);
    const test = await openSource(dir, { split: 'test' });
    expect(train.metadata).toMatchObject({
      format: 'idx',
      numExamples: 12,
      height: 28,
      width: 28,
      channels: 1,
      split: 'train',
    });
    expect(test.size).toBe(7);
    expect(train.metadata.classes[0]).toBe(gzip ? 'T-shirt/top' : '0');
    for (let i = 0; i < 7; i++) {
      expect(test.label(i)).toBe(truth.test.labels[i]);
      const im = image(test, i);
      expect(im.channels).toBe(3);
      for (const p of [0, 100, 783]) {
        const v = truth.test.images[i * 784 + p];
        expect([im.data[p * 3], im.data[p * 3 + 1], im.data[p * 3 + 2]]).toEqual([v, v, v]);
      }
    }
    const info = await inspectSource(dir, { split: 'test' });
    expect(info).toMatchObject({
      numExamples: 7,
      height: 28,
      width: 28,
      numClasses: 10,
      skipped: [],
    });
  });

  it('reports truncated IDX files', async () => {
    const dir = join(tmp.dir, 'idx-bad');
    writeIdxFolder(dir, { train: 3, test: 1 }, false);
    const { readFileSync, writeFileSync } = await import('node:fs');
    const p = join(dir, 'train-images-idx3-ubyte');
    writeFileSync(p, readFileSync(p).subarray(0, 100));
    await expect(openSource(dir)).rejects.toThrow(/train-images-idx3-ubyte: IDX data is truncated/);
  });

  const real = '/usr/share/datasets/fashion-mnist';
  it.runIf(existsSync(real))('reads the real Fashion-MNIST test split', async () => {
    const info = await inspectSource(real, { split: 'test' });
    expect(info).toMatchObject({ numExamples: 10000, numClasses: 10, height: 28, width: 28 });
    expect(info.classCounts).toEqual(new Array(10).fill(1000));
  });
});

describe('CIFAR binary', () => {
  function record(label: number[], seed: number): { bytes: Uint8Array; hwc: Uint8Array } {
    const planar = randomImage(1, 1024, seed).data; // 3072 bytes: R plane, G plane, B plane
    const bytes = new Uint8Array(label.length + 3072);
    bytes.set(label);
    bytes.set(planar, label.length);
    const hwc = new Uint8Array(3072);
    for (let p = 0; p < 1024; p++)
      for (let c = 0; c < 3; c++) hwc[p * 3 + c] = planar[c * 1024 + p];
    return { bytes, hwc };
  }

  it('CIFAR-10: data_batch_1..5 (train) and test_batch, planar to HWC', async () => {
    const dir = join(tmp.dir, 'cifar', 'cifar-10-batches-bin');
    const expected: Uint8Array[] = [];
    for (let b = 1; b <= 5; b++) {
      const recs = [record([b % 10], b), record([(b + 3) % 10], b + 10)];
      if (b === 1) expected.push(recs[0].hwc, recs[1].hwc);
      writeFile(join(dir, `data_batch_${b}.bin`), Buffer.concat(recs.map((r) => r.bytes)));
    }
    writeFile(join(dir, 'test_batch.bin'), record([9], 99).bytes);
    const train = await openSource(join(tmp.dir, 'cifar'));
    expect(train.metadata).toMatchObject({
      format: 'cifar10',
      numExamples: 10,
      height: 32,
      width: 32,
      classes: CIFAR10_CLASSES,
    });
    expect([train.label(0), train.label(1), train.label(2)]).toEqual([1, 4, 2]);
    expect(image(train, 0).data).toEqual(expected[0]);
    expect(image(train, 1).data).toEqual(expected[1]);
    const test = await openSource(dir, { split: 'test' });
    expect(test.size).toBe(1);
    expect(test.label(0)).toBe(9);
  });

  it('CIFAR-100: coarse + fine label bytes', async () => {
    const dir = join(tmp.dir, 'cifar100');
    const recs = [record([3, 77], 1), record([19, 5], 2), record([0, 99], 3)];
    writeFile(join(dir, 'train.bin'), Buffer.concat(recs.map((r) => r.bytes)));
    const fine = await openSource(dir);
    expect(fine.metadata.format).toBe('cifar100');
    expect(fine.metadata.classes.length).toBe(100);
    expect([0, 1, 2].map((i) => fine.label(i))).toEqual([77, 5, 99]);
    const coarse = await openSource({ format: 'cifar', path: dir, label: 'coarse' });
    expect(coarse.metadata.classes).toEqual(CIFAR100_COARSE_CLASSES);
    expect([0, 1, 2].map((i) => coarse.label(i))).toEqual([3, 19, 0]);
    expect(image(coarse, 2).data).toEqual(recs[2].hwc);
    writeFile(join(dir, 'test.bin'), new Uint8Array(3075));
    await expect(openSource(dir, { split: 'test' })).rejects.toThrow(
      /test.bin: 3075 bytes is not a whole number/,
    );
  });
});
