/**
 * CSV / JSONL manifest files (path, label[, split]); paths are relative to the manifest's
 * folder. A folder holding `<split>.csv` / `<split>.jsonl` also opens as a manifest.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { DataArgumentError, DataFormatError } from '../../errors';
import {
  parseCsvManifest,
  parseJsonlManifest,
  resolveManifestLabels,
} from '../../formats/manifest';
import type { DataSource, SourceOpenOptions, SourcePlugin } from '../../sources/types';
import { ArraySource } from '../../sources/view';
import type { DecoderPreference } from '../decode';
import { fileImage, isDirectory, isFile } from './fs-utils';
import { validateSource } from './validate';
import { sameSplit } from '../../sources/splits';

const MANIFEST_NAME = /\.(csv|jsonl|ndjson)$/i;

/** Options of the manifest source. */
export interface ManifestOptions extends SourceOpenOptions {
  readonly decoder?: DecoderPreference;
  /** Class names (for integer labels, or to fix the order of name labels). */
  readonly classNames?: readonly string[];
}

async function findManifest(path: string, split: string): Promise<string | undefined> {
  if (await isFile(path)) return MANIFEST_NAME.test(path) ? path : undefined;
  if (!(await isDirectory(path))) return undefined;
  for (const ext of ['csv', 'jsonl', 'ndjson']) {
    const p = join(path, `${split}.${ext}`);
    if (await isFile(p)) return p;
  }
  return undefined;
}

/** Opens a CSV or JSONL manifest (a file, or a folder with `<split>.csv|jsonl`). */
export async function openManifest(
  path: string,
  options: ManifestOptions = {},
): Promise<DataSource> {
  const file = await findManifest(path, options.split ?? 'train');
  if (!file)
    throw new DataArgumentError(
      `manifest ${path}: no .csv/.jsonl file (for split ${options.split ?? 'train'})`,
    );
  const text = await readFile(file, 'utf8');
  const jsonl = /\.(jsonl|ndjson)$/i.test(file);
  let entries = jsonl ? parseJsonlManifest(text, file) : parseCsvManifest(text, file);
  const hasSplit = entries.some((e) => e.split !== undefined);
  const split = hasSplit ? (options.split ?? 'train') : options.split;
  if (hasSplit) {
    entries = entries.filter((e) => e.split !== undefined && sameSplit(e.split, split!));
    if (entries.length === 0)
      throw new DataFormatError(`${file}: no rows with split "${split}"`, file);
  }
  const { labels, classes } = resolveManifestLabels(entries, options.classNames, file);
  const base = dirname(resolve(file));
  const paths = entries.map((e) => (isAbsolute(e.path) ? e.path : join(base, e.path)));
  const source = new ArraySource(
    { format: jsonl ? 'jsonl' : 'csv', classes, ...(split ? { split } : {}) },
    labels,
    (i) => ({ image: fileImage(paths[i], options.decoder, options.maxPixels), label: labels[i] }),
  );
  if (!options.validate) return source;
  return (await validateSource(source, { onWarning: options.onWarning })).source;
}

/** Plug-in: a .csv / .jsonl file, or a folder with train.csv / train.jsonl (or test.*). */
export const manifestSourcePlugin: SourcePlugin<string> = {
  name: 'manifest',
  sniff: async (input) =>
    typeof input === 'string' &&
    ((await findManifest(input, 'train')) !== undefined ||
      (await findManifest(input, 'test')) !== undefined),
  open: (input, options) => openManifest(input, options),
};
