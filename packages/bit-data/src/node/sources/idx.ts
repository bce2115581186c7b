/**
 * MNIST-style IDX folders (MNIST, Fashion-MNIST, KMNIST...): the standard file names
 * `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
 * `t10k-labels-idx1-ubyte`, each raw or gzipped (`.gz`). Looked for in the folder and in
 * its immediate sub-folders (e.g. Debian's /usr/share/datasets/fashion-mnist).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataArgumentError, DataFormatError } from '../../errors';
import { FASHION_MNIST_CLASSES, IDX_FILES, parseIdx } from '../../formats/idx';
import { toRgbImage } from '../../image';
import type { DataSource, SourceOpenOptions, SourcePlugin } from '../../sources/types';
import { ArraySource } from '../../sources/view';
import { isDirectory, isFile, maybeGunzip, subdirectories } from './fs-utils';

async function existing(dir: string, name: string): Promise<string | undefined> {
  for (const n of [name, `${name}.gz`]) if (await isFile(join(dir, n))) return join(dir, n);
  return undefined;
}

/** The folder (the given one or a sub-folder) that holds the IDX files of `split`. */
export async function findIdxFolder(path: string, split = 'train'): Promise<string | undefined> {
  const files = IDX_FILES[split];
  if (!files || !(await isDirectory(path))) return undefined;
  const candidates = [path, ...(await subdirectories(path)).map((s) => join(path, s))];
  for (const dir of candidates) if (await existing(dir, files.images)) return dir;
  return undefined;
}

/** Options of the IDX source. */
export interface IdxOptions extends SourceOpenOptions {
  /** Class names (default: Fashion-MNIST names when the path says 'fashion', else '0'..'9'). */
  readonly classNames?: readonly string[];
}

/** Opens the `split` ('train' or 'test') of an IDX folder. */
export async function openIdx(path: string, options: IdxOptions = {}): Promise<DataSource> {
  const split = options.split ?? 'train';
  const names = IDX_FILES[split];
  if (!names)
    throw new DataArgumentError(`IDX ${path}: split must be 'train' or 'test', got "${split}"`);
  const dir = await findIdxFolder(path, split);
  if (!dir)
    throw new DataArgumentError(`IDX ${path}: no ${names.images}[.gz] here or in a sub-folder`);
  const imagesPath = (await existing(dir, names.images))!;
  const labelsPath = await existing(dir, names.labels);
  if (!labelsPath) throw new DataArgumentError(`IDX ${dir}: ${names.labels}[.gz] is missing`);
  const images = parseIdx(maybeGunzip(await readFile(imagesPath), imagesPath), imagesPath);
  const labels = parseIdx(maybeGunzip(await readFile(labelsPath), labelsPath), labelsPath);
  if (images.shape.length !== 3 && images.shape.length !== 4) {
    throw new DataFormatError(
      `${imagesPath}: expected [N, H, W] or [N, H, W, C] images, got ${images.shape.join('x')}`,
      imagesPath,
    );
  }
  if (labels.shape.length !== 1 || labels.shape[0] !== images.shape[0]) {
    throw new DataFormatError(
      `${labelsPath}: ${labels.shape.join('x')} labels for ${images.shape[0]} images`,
      labelsPath,
    );
  }
  const [n, h, w] = images.shape;
  const c = images.shape[3] ?? 1;
  const lab = Int32Array.from(labels.data);
  const max = lab.reduce((m, v) => Math.max(m, v), 0);
  const classes = options.classNames
    ? [...options.classNames]
    : /fashion/i.test(path) && max < FASHION_MNIST_CLASSES.length
      ? [...FASHION_MNIST_CLASSES]
      : Array.from({ length: Math.max(max + 1, 10) }, (_, i) => String(i));
  const per = h * w * c;
  return new ArraySource(
    { format: 'idx', classes, height: h, width: w, channels: c, split },
    lab.subarray(0, n),
    (i) => ({
      image: toRgbImage(images.data.subarray(i * per, (i + 1) * per), h, w, c),
      label: lab[i],
    }),
  );
}

/** Plug-in: a folder with MNIST-style IDX files. */
export const idxSourcePlugin: SourcePlugin<string> = {
  name: 'idx',
  priority: 5,
  sniff: async (input) =>
    typeof input === 'string' &&
    ((await findIdxFolder(input, 'train')) !== undefined ||
      (await findIdxFolder(input, 'test')) !== undefined),
  open: (input, options) => openIdx(input, options),
};
