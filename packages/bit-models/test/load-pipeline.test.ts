/**
 * The one load pipeline: run folders, embedded zoo entries, URL loads with progress and Cache
 * Storage, TF.js model.json URLs, `{ numClasses }` without reading the old head, replaceHead
 * disposing what it replaces, and plain-TF.js interop of an export (no machine path in
 * model.json, same outputs through `tf.loadLayersModel`).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../../test-utils/backends';
import {
  checkpointLayout,
  embeddedAssetPath,
  embeddedAssetUrl,
  FileByteSource,
  getBiTMetadata,
  loadBiT,
  openNpzFile,
  packageRoot,
  predict,
  registerModel,
  replaceHead,
  saveBiT,
  writeNpzFile,
  type BiTArchitecture,
  type DownloadProgress,
} from '@bit/models/node';
import { loadBiT as loadBiTAnywhere } from '@bit/models';
import { CountingSource } from './helpers/npz-reference';
import { memoryCaches, serveFolder, type FolderServer } from './helpers/serve-folder';

const TINY = join(__dirname, 'fixtures', 'bit-tiny', 'weights.npz');
const CLASSES = Array.from({ length: 10 }, (_, i) => `class-${i}`);
const dir = mkdtempSync(join(tmpdir(), 'bit-pipeline-'));
let server: FolderServer;
let input: tf.Tensor4D;
let reference: Float32Array;

function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

async function logits(model: tfl.LayersModel, x: tf.Tensor = input): Promise<Float32Array> {
  const y = model.predict(x) as tf.Tensor;
  const data = (await y.data()) as Float32Array;
  y.dispose();
  return data;
}

beforeAll(async () => {
  await useBackend('cpu');
  input = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const model = await loadBiT(TINY);
  reference = await logits(model);
  model.dispose();
  server = await serveFolder(dir);
});

afterAll(async () => {
  input.dispose();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('run folders', () => {
  it("loads a run folder's checkpoint with the run's class names and resolution", async () => {
    const run = join(dir, 'run-ckpt');
    mkdirSync(join(run, 'checkpoint'), { recursive: true });
    copyFileSync(TINY, join(run, 'checkpoint', 'weights.npz'));
    writeFileSync(
      join(run, 'checkpoint', 'state.json'),
      JSON.stringify({
        version: 1,
        step: 3,
        classes: CLASSES,
        resolution: { precrop: 40, crop: 32 },
      }),
    );
    const before = tf.memory().numTensors;
    const model = await loadBiT(run);
    const meta = getBiTMetadata(model)!;
    expect(meta.labels).toEqual(CLASSES);
    expect(meta.resolution).toBe(32);
    expect(meta.source).toBe('run-ckpt');
    expect(relL2(await logits(model), reference)).toBeLessThan(1e-6);
    const [p] = await predict(model, input, { topK: 10 });
    expect(p.top.map((t) => t.label).sort()).toEqual([...CLASSES].sort());
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("loads a finished run folder's model/ (TF.js) and prefers it to the checkpoint", async () => {
    const run = join(dir, 'run-done');
    mkdirSync(join(run, 'checkpoint'), { recursive: true });
    writeFileSync(
      join(run, 'checkpoint', 'state.json'),
      JSON.stringify({ version: 1, step: 9, classes: ['x'], resolution: { precrop: 1, crop: 1 } }),
    );
    const model = await loadBiT(TINY, { labels: CLASSES });
    await saveBiT(model, join(run, 'model'));
    model.dispose();
    const loaded = await loadBiT(run);
    expect(getBiTMetadata(loaded)!.labels).toEqual(CLASSES);
    expect(relL2(await logits(loaded), reference)).toBeLessThan(1e-6);
    loaded.dispose();
  });

  it('refuses a folder that is neither a TF.js model nor a run folder, naming it', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    await expect(loadBiT(empty)).rejects.toThrow(/empty.*neither a TF\.js model/);
  });
});

describe('embedded zoo entries', () => {
  const entry = registerModel({
    name: 'BiT-Test-Embedded-Tiny',
    url: `test-embedded-${process.pid}.npz`,
    embedded: true,
    architecture: { units: [1, 1, 1, 1], width: 0.5, numClasses: 10 },
    labels: null,
    resolution: 32,
    description: 'test-only embedded entry',
  });
  const noNetwork = (() => {
    throw new Error('no network for embedded models');
  }) as unknown as typeof fetch;

  it("resolves in Node to the package's assets/ folder and loads from there, no network", async () => {
    const path = embeddedAssetPath(entry);
    expect(path).toBe(join(resolve(__dirname, '..'), 'assets', entry.url));
    expect(packageRoot()).toBe(resolve(__dirname, '..'));
    mkdirSync(join(packageRoot(), 'assets'), { recursive: true });
    copyFileSync(TINY, path);
    try {
      const model = await loadBiT(entry.name, {
        fetch: noNetwork,
        cacheDir: join(dir, 'no-cache'),
      });
      expect(getBiTMetadata(model)).toMatchObject({ source: entry.name, resolution: 32 });
      expect(relL2(await logits(model), reference)).toBeLessThan(1e-6);
      model.dispose();
    } finally {
      rmSync(path, { force: true });
    }
  });

  it('takes another assets folder (path or file: URL) in Node', async () => {
    const assets = join(dir, 'assets');
    mkdirSync(assets, { recursive: true });
    copyFileSync(TINY, join(assets, entry.url));
    const model = await loadBiT(entry.name, { assetBaseUrl: assets, fetch: noNetwork });
    expect(relL2(await logits(model), reference)).toBeLessThan(1e-6);
    model.dispose();
  });

  it('resolves in the browser relative to the package build, or under assetBaseUrl', async () => {
    expect(embeddedAssetUrl(entry, 'https://cdn.example.com/bit/assets')).toBe(
      `https://cdn.example.com/bit/assets/${entry.url}`,
    );
    expect(embeddedAssetUrl(entry)).toMatch(new RegExp(`/assets/${entry.url}$`));
    expect(() => embeddedAssetUrl({ ...entry, embedded: false })).toThrow(/not embedded/);
    // The isomorphic loader fetches it from the base URL given.
    mkdirSync(join(dir, 'web-assets'), { recursive: true });
    copyFileSync(TINY, join(dir, 'web-assets', entry.url));
    const model = await loadBiTAnywhere(entry.name, { assetBaseUrl: `${server.url}web-assets/` });
    expect(relL2(await logits(model), reference)).toBeLessThan(1e-6);
    model.dispose();
  });
});

describe('URL loads', () => {
  it('reports progress and, with cache: true, downloads once into Cache Storage', async () => {
    copyFileSync(TINY, join(dir, 'remote.npz'));
    const url = `${server.url}remote.npz`;
    const caches = memoryCaches();
    const events: DownloadProgress[] = [];
    const size = readFileSync(TINY).length;
    const first = await loadBiTAnywhere(url, {
      cache: true,
      caches,
      onProgress: (e) => events.push(e),
    });
    expect(relL2(await logits(first), reference)).toBeLessThan(1e-6);
    first.dispose();
    expect(events.at(-1)).toMatchObject({ receivedBytes: size, totalBytes: size });
    const received = events.map((e) => e.receivedBytes);
    expect(received).toEqual([...received].sort((a, b) => a - b));
    const requests = server.requests.filter((r) => r.includes('/remote.npz')).length;
    const second = await loadBiTAnywhere(url, { cache: true, caches });
    expect(server.requests.filter((r) => r.includes('/remote.npz')).length).toBe(requests);
    expect(relL2(await logits(second), reference)).toBeLessThan(1e-6);
    second.dispose();
  });

  it('reports progress of a Range-read load without cache', async () => {
    const events: DownloadProgress[] = [];
    const model = await loadBiTAnywhere(`${server.url}remote.npz`, {
      onProgress: (e) => events.push(e),
    });
    model.dispose();
    const size = readFileSync(TINY).length;
    expect(events.length).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({ receivedBytes: size, totalBytes: size });
  });

  it('loads a TF.js model.json URL (float16 shards), with progress and cache', async () => {
    const model = await loadBiT(TINY, { labels: CLASSES });
    await saveBiT(model, join(dir, 'web-model'), { dtype: 'float16' });
    model.dispose();
    const url = `${server.url}web-model/model.json`;
    const events: DownloadProgress[] = [];
    const caches = memoryCaches();
    const loaded = await loadBiTAnywhere(url, {
      cache: true,
      caches,
      onProgress: (e) => events.push(e),
    });
    expect(getBiTMetadata(loaded)!.labels).toEqual(CLASSES);
    const local = await loadBiT(join(dir, 'web-model'));
    expect(relL2(await logits(loaded), await logits(local))).toBeLessThan(1e-7);
    expect(relL2(await logits(loaded), reference)).toBeLessThan(1e-2); // float16 weights
    loaded.dispose();
    local.dispose();
    const total = events.at(-1)!.totalBytes!;
    expect(total).toBeGreaterThan(0);
    expect(events.at(-1)!.receivedBytes).toBe(total);
    const before = server.requests.length;
    (await loadBiTAnywhere(url, { cache: true, caches })).dispose();
    expect(server.requests.length).toBe(before);
  });
});

/** An .npz of the bit-tiny layout with a `classes`-class head (random head, real backbone). */
async function bigHeadCheckpoint(classes: number, path: string): Promise<number> {
  const arch: BiTArchitecture = { units: [1, 1, 1, 1], width: 0.5, numClasses: classes };
  const tiny = await openNpzFile(TINY);
  let headBytes = 0;
  async function* arrays() {
    for (const e of checkpointLayout(arch)) {
      if (e.name.startsWith('resnet/head/')) {
        const n = e.shape.reduce((a, b) => a * b, 1);
        headBytes += n * 4;
        const data = new Float32Array(n);
        for (let i = 0; i < n; i++) data[i] = ((i * 7919) % 1000) / 1e4;
        yield { name: e.name, shape: e.shape, data, dtype: 'float32' as const };
      } else {
        const a = await tiny.read(e.name);
        yield { name: e.name, shape: a.shape, data: a.data, dtype: 'float32' as const };
      }
    }
  }
  await writeNpzFile(path, arrays());
  await tiny.close();
  return headBytes;
}

describe('{ numClasses } and replaceHead', () => {
  it('never reads a 20000-class head into tensors (nor from the file)', async () => {
    const path = join(dir, 'head20k.npz');
    const headBytes = await bigHeadCheckpoint(20000, path);
    const base = tf.memory().numBytes;
    const counting = new CountingSource(await FileByteSource.open(path));
    const model = await loadBiT(counting, { numClasses: 3 });
    const held = tf.memory().numBytes - base;
    const backbone = model.countParams() * 4;
    expect(held).toBeLessThan(backbone + headBytes / 2);
    expect(counting.totalBytes).toBeLessThan(counting.size - headBytes / 2);
    await (counting as unknown as { inner: FileByteSource }).inner.close();
    const meta = getBiTMetadata(model)!;
    expect(meta.architecture.numClasses).toBe(3);
    expect(meta.labels).toBeNull();
    // The new head is zero-initialised: every class scores the same.
    const out = await logits(model);
    expect(Array.from(out).every((v) => v === 0)).toBe(true);
    model.dispose();
    expect(tf.memory().numBytes).toBe(base);
  });

  it('gives a TF.js model a new head without decoding the old one; 0 removes the head', async () => {
    const path = join(dir, 'head2k.npz');
    const headBytes = await bigHeadCheckpoint(2000, path);
    const full = await loadBiT(path);
    await saveBiT(full, join(dir, 'head2k-tfjs'));
    full.dispose();
    const base = tf.memory().numBytes;
    const model = await loadBiT(join(dir, 'head2k-tfjs'), { numClasses: 4 });
    expect(tf.memory().numBytes - base).toBeLessThan(model.countParams() * 4 + headBytes / 2);
    expect((model.outputs[0].shape as number[]).at(-1)).toBe(4);
    model.dispose();
    const headless = await loadBiT(join(dir, 'head2k-tfjs'), { numClasses: 0 });
    expect(getBiTMetadata(headless)!.architecture.numClasses).toBe(0);
    expect((headless.outputs[0].shape as number[]).at(-1)).toBe(1024);
    headless.dispose();
    expect(tf.memory().numBytes).toBe(base);
  });

  it('replaceHead disposes the head it replaces', async () => {
    const model = await loadBiT(TINY);
    const bytes = tf.memory().numBytes;
    const tensors = tf.memory().numTensors;
    const swapped = replaceHead(model, 3);
    // 10-class head (1024x10 + 10) out, 3-class head (1024x3 + 3) in.
    expect(bytes - tf.memory().numBytes).toBe((1024 * 7 + 7) * 4);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(Array.from(await logits(swapped)).every((v) => v === 0)).toBe(true); // zero head
    swapped.dispose();
  });

  it('refuses a numClasses that is no non-negative integer, naming the option', async () => {
    await expect(loadBiT(TINY, { numClasses: -1 })).rejects.toThrow(/options\.numClasses/);
    await expect(loadBiT(TINY, { numClasses: 2.5 })).rejects.toThrow(/non-negative integer/);
  });
});

describe('TF.js interop', () => {
  it('an export has no machine path in model.json and loads in plain tf.loadLayersModel', async () => {
    const absolute = join(dir, 'abs', 'weights.npz');
    mkdirSync(join(dir, 'abs'), { recursive: true });
    copyFileSync(TINY, absolute);
    for (const dtype of ['float32', 'float16'] as const) {
      const model = await loadBiT(resolve(absolute));
      const out = join(dir, `plain-${dtype}`);
      await saveBiT(model, out, { dtype });
      model.dispose();
      const viaLoadBiT = await loadBiT(out);
      const ours = await logits(viaLoadBiT);
      viaLoadBiT.dispose();
      const json = readFileSync(join(out, 'model.json'), 'utf8');
      expect(json).not.toContain(dir);
      expect(json).not.toContain(tmpdir());
      expect(JSON.parse(json).userDefinedMetadata.bit.source).toBe('weights.npz');
      // Plain TF.js: tfjs-layers' own HTTP loader; '@bit/layers' registers the custom layers.
      const plain = await tfl.loadLayersModel(`${server.url}plain-${dtype}/model.json`);
      const theirs = await logits(plain);
      plain.dispose();
      let maxDiff = 0;
      for (let i = 0; i < ours.length; i++)
        maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
      expect(maxDiff).toBeLessThan(1e-5);
      if (dtype === 'float32') expect(relL2(theirs, reference)).toBeLessThan(1e-6);
    }
  });
});
