/**
 * Image folders: one sub-folder per class (classes sorted by name), images anywhere below
 * it. When the folder holds split folders (train/, test/, val/...), `split` picks one.
 */
import { join } from 'node:path';
import { DataArgumentError } from '../../errors';
import { sameSplit } from '../../sources/splits';
import type { DataSource, SourceOpenOptions, SourcePlugin } from '../../sources/types';
import { ArraySource } from '../../sources/view';
import type { DecoderPreference } from '../decode';
import { fileImage, imageFilesUnder, isDirectory, subdirectories } from './fs-utils';
import { validateSource } from './validate';

/** Folder names treated as splits. */
export const SPLIT_FOLDERS = ['train', 'test', 'val', 'validation', 'valid', 'eval'];

/** Options of the image-folder source. */
export interface ImageFolderOptions extends SourceOpenOptions {
  readonly decoder?: DecoderPreference;
}

async function splitDirectory(
  root: string,
  split: string | undefined,
): Promise<{ dir: string; split?: string }> {
  const subs = await subdirectories(root);
  const splits = subs.filter((s) => SPLIT_FOLDERS.includes(s.toLowerCase()));
  if (splits.length === 0) return { dir: root, ...(split ? { split } : {}) };
  const wanted = split ?? 'train';
  const found = splits.find((s) => sameSplit(s, wanted));
  if (!found) {
    throw new DataArgumentError(
      `image folder ${root}: no "${wanted}" split folder (found: ${splits.join(', ')})`,
    );
  }
  return { dir: join(root, found), split: wanted };
}

/** Opens an image folder. With `validate`, every image is decoded now and broken ones are dropped. */
export async function openImageFolder(
  root: string,
  options: ImageFolderOptions = {},
): Promise<DataSource> {
  if (!(await isDirectory(root)))
    throw new DataArgumentError(`image folder ${root}: not a directory`);
  const { dir, split } = await splitDirectory(root, options.split);
  const classes = await subdirectories(dir);
  if (classes.length === 0)
    throw new DataArgumentError(`image folder ${dir}: no class sub-folders`);
  const paths: string[] = [];
  const labels: number[] = [];
  for (let k = 0; k < classes.length; k++) {
    for (const p of await imageFilesUnder(join(dir, classes[k]))) {
      paths.push(p);
      labels.push(k);
    }
  }
  if (paths.length === 0)
    throw new DataArgumentError(`image folder ${dir}: no image files in the class folders`);
  const lab = Int32Array.from(labels);
  const source = new ArraySource(
    { format: 'image-folder', classes, ...(split ? { split } : {}) },
    lab,
    (i) => ({
      image: fileImage(paths[i], options.decoder, options.maxPixels),
      label: lab[i],
    }),
  );
  if (!options.validate) return source;
  return (await validateSource(source, { onWarning: options.onWarning })).source;
}

/** Plug-in: a directory of class folders (tried last: other formats are more specific). */
export const imageFolderSourcePlugin: SourcePlugin<string> = {
  name: 'image-folder',
  priority: -10,
  sniff: async (input) =>
    typeof input === 'string' &&
    (await isDirectory(input)) &&
    (await subdirectories(input)).length > 0,
  open: (input, options) => openImageFolder(input, options),
};
