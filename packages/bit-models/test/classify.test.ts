/**
 * classify() on PNG and JPEG files, Buffers and tensors (decode + HyperRule eval resize to the
 * model's resolution), resolveDataConfig(), and the pixel-input rules: integer tensors are 0–255
 * pixels, float tensors must lie in [0, 1].
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../../test-utils/backends';
import { resizeBilinear } from '@bit/data';
import { decodeImageFile } from '@bit/data/node';
import {
  classify,
  features,
  getBiTMetadata,
  ImageInputError,
  loadBiT,
  PixelRangeError,
  predict,
  resolveDataConfig,
  setBiTMetadata,
  type TopClass,
} from '@bit/models/node';
import type * as tfl from '@tensorflow/tfjs-layers';

const TINY = join(__dirname, 'fixtures', 'bit-tiny', 'weights.npz');
const CLASSES = Array.from({ length: 10 }, (_, i) => `class-${i}`);
const RES = 24;
const dir = mkdtempSync(join(tmpdir(), 'bit-classify-'));
let model: tfl.LayersModel;
const pngPath = join(dir, 'image.png');
const jpgPath = join(dir, 'image.jpg');

/** A smooth 40x30 RGB test picture (RGBA bytes). */
function picture(w: number, h: number): Uint8Array {
  const rgba = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      rgba[i] = (x * 255) / (w - 1);
      rgba[i + 1] = (y * 255) / (h - 1);
      rgba[i + 2] = ((x + y) * 97) % 256;
      rgba[i + 3] = 255;
    }
  }
  return rgba;
}

beforeAll(async () => {
  await useBackend('cpu');
  model = await loadBiT(TINY, { labels: CLASSES });
  setBiTMetadata(model, { ...getBiTMetadata(model)!, resolution: RES });
  // Inference caches the standardised kernels once: warm them up so leak checks see only leaks.
  for (const size of [RES, 32]) {
    const warm = tf.zeros([1, size, size, 3]);
    await predict(model, warm);
    warm.dispose();
  }
  const rgba = picture(40, 30);
  const png = new PNG({ width: 40, height: 30 });
  png.data = Buffer.from(rgba);
  writeFileSync(pngPath, PNG.sync.write(png));
  writeFileSync(jpgPath, jpeg.encode({ data: Buffer.from(rgba), width: 40, height: 30 }, 90).data);
});

afterAll(() => {
  model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** What classify must give for a file: decode, resize straight to RES, predict. */
async function expectedFor(path: string, topK: number): Promise<TopClass[]> {
  const image = await decodeImageFile(path);
  const resized = resizeBilinear(image, RES, RES);
  const x = tf.tensor4d(resized.data, [1, RES, RES, 3]);
  const [p] = await predict(model, x, { topK });
  x.dispose();
  return p.top;
}

function close(a: TopClass[], b: TopClass[]): void {
  expect(a.map((t) => t.index)).toEqual(b.map((t) => t.index));
  expect(a.map((t) => t.label)).toEqual(b.map((t) => t.label));
  a.forEach((t, i) => expect(t.score).toBeCloseTo(b[i].score, 6));
}

describe('resolveDataConfig', () => {
  it("reads the model's resolution, range and labels", async () => {
    const config = await resolveDataConfig(model);
    expect(config).toMatchObject({
      resolution: RES,
      inputSize: [RES, RES, 3],
      interpolation: 'bilinear',
      inputRange: [0, 1],
      numClasses: 10,
      labelSet: null,
    });
    expect(config.labels).toEqual(CLASSES);
  });
});

describe('classify', () => {
  it('classifies PNG and JPEG files, and the same bytes as Buffers', async () => {
    const before = tf.memory().numTensors;
    for (const path of [pngPath, jpgPath]) {
      const expected = await expectedFor(path, 3);
      const top = await classify(model, path, { topK: 3 });
      expect(top).toHaveLength(3);
      expect(top[0].label).toMatch(/^class-\d$/);
      close(top, expected);
      close(await classify(model, readFileSync(path), { topK: 3 }), expected);
      close(await classify(model, new URL(`file://${path}`), { topK: 3 }), expected);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an array of inputs gives an array of lists, in order', async () => {
    const lists = await classify(model, [pngPath, jpgPath, pngPath], { topK: 2, batchSize: 2 });
    expect(lists).toHaveLength(3);
    close(lists[0], await expectedFor(pngPath, 2));
    close(lists[1], await expectedFor(jpgPath, 2));
    close(lists[2], lists[0]);
  });

  it('classifies tensors: int32 0–255 and float32 [0, 1], resized to the resolution', async () => {
    const before = tf.memory().numTensors;
    const pixels = tf.randomUniform([40, 30, 3], 0, 256, 'int32', 3) as tf.Tensor3D;
    const unit = tf.tidy(() => tf.div(tf.cast(pixels, 'float32'), 255)) as tf.Tensor3D;
    const resized = tf.image.resizeBilinear(unit, [RES, RES], false, true);
    const [p] = await predict(model, resized, { topK: 4 });
    close(await classify(model, pixels, { topK: 4 }), p.top);
    close(await classify(model, unit, { topK: 4 }), p.top);
    const batched = tf.expandDims(unit, 0);
    close(await classify(model, batched, { topK: 4 }), p.top);
    tf.dispose([pixels, unit, resized, batched]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses batches, unknown inputs and broken files with typed errors', async () => {
    const batch = tf.zeros([2, 8, 8, 3]);
    await expect(classify(model, batch)).rejects.toThrow(/one image per input/);
    batch.dispose();
    await expect(classify(model, 42 as never)).rejects.toBeInstanceOf(ImageInputError);
    writeFileSync(join(dir, 'broken.png'), 'not a png');
    await expect(classify(model, join(dir, 'broken.png'))).rejects.toThrow(/broken\.png/);
  });
});

describe('pixel inputs', () => {
  it('integer tensors are 0–255 pixels: same predictions as the pixels / 255', async () => {
    const before = tf.memory().numTensors;
    // What tf.randomUniform and tf.tensor return type-checks as an ImageInput (no casts).
    const pixels = tf.randomUniform([2, 32, 32, 3], 0, 256, 'int32', 11);
    const scaled = tf.tidy(() => tf.div(tf.cast(pixels, 'float32'), 255));
    const a = await predict(model, pixels, { logits: true, topK: 10 });
    const b = await predict(model, scaled, { logits: true, topK: 10 });
    for (let i = 0; i < 2; i++) {
      expect(a[i].top.map((t) => t.index)).toEqual(b[i].top.map((t) => t.index));
      a[i].logits!.forEach((v, j) => expect(v).toBeCloseTo(b[i].logits![j], 5));
    }
    const fa = await features(model, pixels);
    const first = tf.tidy(() => tf.squeeze(tf.slice(scaled, 0, 1), [0]));
    const fb = await features(model, [first]);
    fa[0].forEach((v, j) => expect(v).toBeCloseTo(fb[0][j], 5));
    tf.dispose([pixels, scaled, first]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('float input outside [0, 1] is refused, naming the range found and the fix', async () => {
    const before = tf.memory().numTensors;
    const x = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 5);
    const error = await predict(model, x).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PixelRangeError);
    const message = (error as Error).message;
    expect(message).toContain('[0, 1]');
    expect(message).toMatch(/found values in \[-(1|0\.9\d*), 0\.9\d*\]/);
    expect(message).toContain("tf.cast(x, 'int32')");
    expect((error as PixelRangeError).min).toBeLessThan(0);
    const big = tf.fill([1, 4, 4, 3], 255);
    await expect(features(model, big)).rejects.toThrow(/\[0, 1\].*found values in \[255, 255\]/);
    const wrapped = tf.fill([1, 4, 4, 3], 300, 'int32');
    await expect(predict(model, wrapped)).rejects.toThrow(
      /int32 pixel values must lie in \[0, 255\].*tf\.clipByValue\(x, 0, 255\)/,
    );
    // The fix the message names works.
    const clipped = tf.clipByValue(wrapped, 0, 255);
    await expect(predict(model, clipped)).resolves.toHaveLength(1);
    tf.dispose([x, big, wrapped, clipped]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('float rounding just past 1 is tolerated; bool tensors are refused', async () => {
    const edge = tf.fill([1, 8, 8, 3], 1 + 1e-6);
    await expect(predict(model, edge)).resolves.toHaveLength(1);
    const bools = tf.ones([1, 8, 8, 3], 'bool');
    await expect(predict(model, bools)).rejects.toThrow(/int32.*or float32.*got dtype bool/);
    tf.dispose([edge, bools]);
  });
});
