/** Node-only .npz conveniences (file paths). Export from src/node.ts only. */
import { FileByteSource } from '../../io/file-source';
import { FileSink } from '../../io/file-sink';
import { openNpz, type NpzArchive } from './read';
import type { OpenNpzOptions } from './types';
import { writeNpz, type NpzWriteArray, type WriteNpzOptions } from './write';

/**
 * Opens the .npz file at `path` (see `openNpz`); `archive.close()` closes the file.
 * @throws CheckpointFormatError for damaged files (the file is closed first).
 */
export async function openNpzFile(path: string, options: OpenNpzOptions = {}): Promise<NpzArchive> {
  const source = await FileByteSource.open(path);
  try {
    return await openNpz(source, options);
  } catch (error) {
    await source.close();
    throw error;
  }
}

/**
 * Writes `arrays` to the .npz file `path` atomically (temporary file, renamed on success;
 * see `writeNpz`).
 */
export async function writeNpzFile(
  path: string,
  arrays: Iterable<NpzWriteArray> | AsyncIterable<NpzWriteArray>,
  options: WriteNpzOptions = {},
): Promise<void> {
  await writeNpz(arrays, await FileSink.create(path), options);
}
