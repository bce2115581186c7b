/** Small filesystem helpers shared by the disk sources. */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { LazyImage } from '../../image';
import type { DecoderPreference } from '../decode';
import { decodeImageFile } from '../decode';
import { isGzip } from '../../formats/idx';
import { DataFormatError } from '../../errors';

/** Image file name extensions the disk sources list. */
export const IMAGE_EXTENSIONS = /\.(jpe?g|png|webp|gif|bmp|tiff?|avif)$/i;

/** True when `path` is a directory. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** True when `path` is a regular file. */
export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Names of the sub-directories of `dir`, sorted (hidden ones left out). */
export async function subdirectories(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(byName);
}

/** Image files under `dir`, recursively, as paths sorted by name. */
export async function imageFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    byName(a.name, b.name),
  );
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await imageFilesUnder(p)));
    else if ((e.isFile() || e.isSymbolicLink()) && IMAGE_EXTENSIONS.test(e.name)) out.push(p);
  }
  return out;
}

/** Code-point order (locale independent, so every machine sorts classes alike). */
export function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A lazy image for a local file, decoded with `decoder` under the pixel limit `maxPixels`. */
export function fileImage(
  path: string,
  decoder?: DecoderPreference,
  maxPixels?: number,
): LazyImage {
  return {
    kind: 'lazy',
    path,
    file: path,
    ...(maxPixels !== undefined ? { maxPixels } : {}),
    load: () => decodeImageFile(path, { decoder, maxPixels }),
  };
}

/**
 * Gunzips bytes when they are gzip, else returns them.
 * @throws DataFormatError naming `path` when the gzip stream is damaged.
 */
export function maybeGunzip(bytes: Uint8Array, path: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw new DataFormatError(`${path}: damaged gzip data (${(e as Error).message})`, path);
  }
}
