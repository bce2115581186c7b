/**
 * Fashion-MNIST images as PNG files for the e2e tests (28x28 grey, as in the dataset), read
 * from Debian's dataset-fashion-mnist (gzipped IDX).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { parseIdx } from '@bit/data';

export const FASHION_MNIST_DIR =
  process.env.BIT_FASHION_MNIST ?? '/usr/share/datasets/fashion-mnist';
export const hasFashionMnist = existsSync(join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz'));

/** Class indices of Fashion-MNIST. */
export const FMNIST = { tshirt: 0, trouser: 1, pullover: 2, dress: 3, coat: 4, bag: 8 } as const;

async function idx(file: string) {
  return parseIdx(new Uint8Array(gunzipSync(await readFile(join(FASHION_MNIST_DIR, file)))), file);
}

/** A split's images [N, 28, 28] and labels. */
export async function readSplit(split: 'train' | 't10k') {
  const images = await idx(`${split}-images-idx3-ubyte.gz`);
  const labels = await idx(`${split}-labels-idx1-ubyte.gz`);
  return { images, labels: labels.data };
}

/** Writes the first `count` images of `label` (skipping `skip` of them) as PNGs; returns the paths. */
export async function writeClassPngs(
  split: Awaited<ReturnType<typeof readSplit>>,
  label: number,
  count: number,
  dir: string,
  prefix: string,
  skip = 0,
): Promise<string[]> {
  const [, h, w] = split.images.shape;
  const paths: string[] = [];
  let seen = 0;
  for (let i = 0; i < split.labels.length && paths.length < count; i++) {
    if (split.labels[i] !== label || seen++ < skip) continue;
    const png = new PNG({
      width: w,
      height: h,
      colorType: 0,
      inputColorType: 0,
      inputHasAlpha: false,
    });
    png.data = Buffer.from(split.images.data.subarray(i * h * w, (i + 1) * h * w));
    const path = join(dir, `${prefix}-${i}.png`);
    await writeFile(
      path,
      PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }),
    );
    paths.push(path);
  }
  return paths;
}
