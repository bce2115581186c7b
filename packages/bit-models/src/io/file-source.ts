/**
 * Node-only: a ByteSource over a local file. Export it from src/node.ts only.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ByteSource } from './byte-source';
import { checkReadRange } from './byte-source';
import { ByteSourceError } from '../errors';

/**
 * A {@link ByteSource} over a local file (Node only): positional reads on one open file
 * handle, so a multi-GB checkpoint is never read whole. Create with {@link FileByteSource.open}
 * and `close()` when done.
 */
export class FileByteSource implements ByteSource {
  private handle: FileHandle | undefined;

  private constructor(
    handle: FileHandle,
    /** Total size in bytes (at open time). */
    readonly size: number,
    /** The path, for messages. */
    readonly name: string,
  ) {
    this.handle = handle;
  }

  /**
   * Opens `path` for reading.
   * @param path the file's path.
   * @param name a name for messages (default: the path).
   */
  static async open(path: string, name: string = path): Promise<FileByteSource> {
    const handle = await open(path, 'r');
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) {
        throw new ByteSourceError(
          'unknown-size',
          name,
          `"${basename(path)}" is not a regular file`,
        );
      }
      return new FileByteSource(handle, stat.size, name);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Reads `length` bytes at `offset` into a fresh buffer. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkReadRange(this.name, this.size, offset, length);
    const handle = this.handle;
    if (handle === undefined) throw new ByteSourceError('closed', this.name, 'file is closed');
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(out, done, length - done, offset + done);
      if (bytesRead === 0) {
        throw new ByteSourceError(
          'short-read',
          this.name,
          `file ended after ${offset + done} bytes while reading ${length} bytes at ${offset}`,
        );
      }
      done += bytesRead;
    }
    return out;
  }

  /** Closes the file handle (idempotent). */
  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle !== undefined) await handle.close();
  }
}
