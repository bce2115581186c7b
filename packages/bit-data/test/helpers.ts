/** Test helpers: temporary folders and generated images/datasets. */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pngjs from 'pngjs';
import type { DecodedImage } from '../src/image';

/** A fresh temporary folder and a function removing it. */
export function tempDir(prefix = 'bit-data-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a file, creating folders. */
export function writeFile(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

/** A deterministic pseudo-random 8-bit RGB image. */
export function randomImage(height: number, width: number, seed: number): DecodedImage {
  const data = new Uint8Array(height * width * 3);
  let s = seed * 2654435761 + 12345;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return { data, height, width, channels: 3 };
}

/** A smooth image (gradients), JPEG-friendly. */
export function smoothImage(height: number, width: number, seed = 0): DecodedImage {
  const data = new Uint8Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = (x * 255) / Math.max(1, width - 1);
      data[o + 1] = (y * 255) / Math.max(1, height - 1);
      data[o + 2] = 128 + 100 * Math.sin((x + 2 * y) / 9 + seed);
    }
  }
  return { data, height, width, channels: 3 };
}

/** Encodes an 8-bit image with 1, 3 or 4 channels as PNG (pngjs). */
export function encodePng(
  data: Uint8Array,
  height: number,
  width: number,
  channels: 1 | 3 | 4 = 3,
): Buffer {
  const png = new pngjs.PNG({
    width,
    height,
    colorType: channels === 1 ? 0 : channels === 3 ? 2 : 6,
    inputColorType: 6,
    inputHasAlpha: true,
  });
  for (let i = 0; i < width * height; i++) {
    const s = i * channels;
    png.data[i * 4] = data[s];
    png.data[i * 4 + 1] = channels === 1 ? data[s] : data[s + 1];
    png.data[i * 4 + 2] = channels === 1 ? data[s] : data[s + 2];
    png.data[i * 4 + 3] = channels === 4 ? data[s + 3] : 255;
  }
  return pngjs.PNG.sync.write(png, { colorType: channels === 1 ? 0 : channels === 3 ? 2 : 6 });
}

/** Builds an IDX file (unsigned bytes). */
export function idxBytes(shape: number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * shape.length);
  const view = new DataView(header.buffer);
  header[2] = 0x08;
  header[3] = shape.length;
  shape.forEach((s, i) => view.setUint32(4 + 4 * i, s, false));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

/** Writes an MNIST-style folder with `n` train and `m` test 28x28 examples; returns the pixels and labels. */
export function writeIdxFolder(
  dir: string,
  sizes: { train: number; test: number },
  gzip: boolean,
  hw: [number, number] = [28, 28],
): Record<'train' | 'test', { images: Uint8Array; labels: Uint8Array }> {
  const out = {} as Record<'train' | 'test', { images: Uint8Array; labels: Uint8Array }>;
  for (const split of ['train', 'test'] as const) {
    const n = sizes[split];
    const images = randomImage(n * hw[0], hw[1], split === 'train' ? 1 : 2).data.filter(
      (_, i) => i % 3 === 0,
    );
    const labels = Uint8Array.from(
      { length: n },
      (_, i) => (i * 7 + (split === 'train' ? 0 : 3)) % 10,
    );
    const prefix = split === 'train' ? 'train' : 't10k';
    const enc = (b: Uint8Array): Uint8Array => (gzip ? gzipSync(b) : b);
    const ext = gzip ? '.gz' : '';
    writeFile(
      join(dir, `${prefix}-images-idx3-ubyte${ext}`),
      enc(idxBytes([n, hw[0], hw[1]], images)),
    );
    writeFile(join(dir, `${prefix}-labels-idx1-ubyte${ext}`), enc(idxBytes([n], labels)));
    out[split] = { images, labels };
  }
  return out;
}
