/**
 * CIFAR binary versions: CIFAR-10 (`data_batch_1..5.bin`, `test_batch.bin`,
 * `batches.meta.txt`) and CIFAR-100 (`train.bin`, `test.bin` with coarse + fine label
 * bytes, `fine_label_names.txt`, `coarse_label_names.txt`). Looked for in the folder and in
 * its immediate sub-folders (the tarballs extract to cifar-10-batches-bin/, cifar-100-binary/).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataArgumentError } from '../../errors';
import {
  CIFAR10_CLASSES,
  CIFAR100_COARSE_CLASSES,
  CIFAR100_FINE_CLASSES,
  parseCifar,
  type CifarVariant,
} from '../../formats/cifar';
import type { DataSource, SourceOpenOptions, SourcePlugin } from '../../sources/types';
import { ArraySource } from '../../sources/view';
import { isDirectory, isFile, subdirectories } from './fs-utils';

/** Options of the CIFAR source. */
export interface CifarOptions extends SourceOpenOptions {
  /** CIFAR-100 labels: 'fine' (100 classes, default) or 'coarse' (20). */
  readonly label?: 'fine' | 'coarse';
  readonly classNames?: readonly string[];
}

interface Found {
  readonly dir: string;
  readonly variant: CifarVariant;
}

async function detectIn(dir: string): Promise<CifarVariant | undefined> {
  if ((await isFile(join(dir, 'data_batch_1.bin'))) || (await isFile(join(dir, 'test_batch.bin'))))
    return 'cifar10';
  if ((await isFile(join(dir, 'train.bin'))) || (await isFile(join(dir, 'test.bin'))))
    return 'cifar100';
  return undefined;
}

/** The folder and variant of a CIFAR binary dataset at `path` (or in a sub-folder). */
export async function findCifarFolder(path: string): Promise<Found | undefined> {
  if (!(await isDirectory(path))) return undefined;
  for (const dir of [path, ...(await subdirectories(path)).map((s) => join(path, s))]) {
    const variant = await detectIn(dir);
    if (variant) return { dir, variant };
  }
  return undefined;
}

async function readNames(path: string): Promise<string[] | undefined> {
  if (!(await isFile(path))) return undefined;
  const names = (await readFile(path, 'utf8'))
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean);
  return names.length ? names : undefined;
}

/** Opens the `split` ('train' or 'test') of a CIFAR-10/100 binary folder. */
export async function openCifar(path: string, options: CifarOptions = {}): Promise<DataSource> {
  const found = await findCifarFolder(path);
  if (!found)
    throw new DataArgumentError(
      `CIFAR ${path}: no data_batch_*.bin / test_batch.bin / train.bin / test.bin here`,
    );
  const { dir, variant } = found;
  const split = options.split ?? 'train';
  if (split !== 'train' && split !== 'test')
    throw new DataArgumentError(`CIFAR ${dir}: split must be 'train' or 'test', got "${split}"`);
  let files: string[];
  if (variant === 'cifar10') {
    files =
      split === 'test' ? ['test_batch.bin'] : [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
  } else {
    files = [`${split}.bin`];
  }
  const present: string[] = [];
  for (const f of files) if (await isFile(join(dir, f))) present.push(join(dir, f));
  if (present.length === 0)
    throw new DataArgumentError(`CIFAR ${dir}: no ${files.join(' / ')} for split ${split}`);
  const label = options.label ?? 'fine';
  const parts = await Promise.all(
    present.map(async (f) => parseCifar(await readFile(f), variant, label, f)),
  );
  const n = parts.reduce((s, p) => s + p.labels.length, 0);
  const images = new Uint8Array(n * 3072);
  const labels = new Int32Array(n);
  let o = 0;
  for (const p of parts) {
    images.set(p.images, o * 3072);
    labels.set(p.labels, o);
    o += p.labels.length;
  }
  let classes = options.classNames ? [...options.classNames] : undefined;
  if (!classes && variant === 'cifar10')
    classes = (await readNames(join(dir, 'batches.meta.txt'))) ?? [...CIFAR10_CLASSES];
  if (!classes && label === 'coarse')
    classes = (await readNames(join(dir, 'coarse_label_names.txt'))) ?? [
      ...CIFAR100_COARSE_CLASSES,
    ];
  if (!classes)
    classes = (await readNames(join(dir, 'fine_label_names.txt'))) ?? [...CIFAR100_FINE_CLASSES];
  return new ArraySource(
    { format: variant, classes, height: 32, width: 32, channels: 3, split },
    labels,
    (i) => ({
      image: {
        data: images.subarray(i * 3072, (i + 1) * 3072),
        height: 32,
        width: 32,
        channels: 3,
      },
      label: labels[i],
    }),
  );
}

/** Plug-in: a CIFAR-10/100 binary folder. */
export const cifarSourcePlugin: SourcePlugin<string> = {
  name: 'cifar',
  priority: 5,
  sniff: async (input) => typeof input === 'string' && (await findCifarFolder(input)) !== undefined,
  open: (input, options) => openCifar(input, options),
};
