/**
 * Node-only: a ByteSink that writes a file atomically. Export it from src/node.ts only.
 */
import { writeSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import type { ByteSink } from './byte-source';

/**
 * A {@link ByteSink} writing to a local file (Node only). Bytes go to a temporary file next
 * to the target (`.<name>.<random>.tmp`); `close()` flushes it to disk and renames it into
 * place atomically, `abort()` removes it. A crash never leaves a half-written target.
 */
export class FileSink implements ByteSink {
  private handle: FileHandle | undefined;
  private finished = false;

  private constructor(
    handle: FileHandle,
    /** The temporary file being written. */
    readonly tempPath: string,
    /** The final path. */
    readonly path: string,
  ) {
    this.handle = handle;
  }

  /** Creates the temporary file for `path`. */
  static async create(path: string): Promise<FileSink> {
    const random = Math.random().toString(36).slice(2, 10);
    const tempPath = join(dirname(path), `.${basename(path)}.${process.pid}.${random}.tmp`);
    const handle = await open(tempPath, 'wx');
    return new FileSink(handle, tempPath, path);
  }

  /** Appends `chunk` to the temporary file. */
  async write(chunk: Uint8Array): Promise<void> {
    const handle = this.handle;
    if (handle === undefined) throw new Error(`FileSink "${this.path}": write after close`);
    let done = 0;
    while (done < chunk.length) {
      const { bytesWritten } = await handle.write(chunk, done, chunk.length - done);
      done += bytesWritten;
    }
  }

  /**
   * Appends `chunk` synchronously (for producers that cannot wait, such as the ONNX exporter's
   * external data: nothing is kept in memory after the call).
   */
  writeSync(chunk: Uint8Array): void {
    const handle = this.handle;
    if (handle === undefined) throw new Error(`FileSink "${this.path}": write after close`);
    let done = 0;
    while (done < chunk.length) done += writeSync(handle.fd, chunk, done, chunk.length - done);
  }

  /** Flushes, closes and renames the temporary file onto `path`. */
  async close(): Promise<void> {
    if (this.finished) return;
    const handle = this.handle;
    this.handle = undefined;
    this.finished = true;
    if (handle === undefined) return;
    try {
      await handle.sync();
      await handle.close();
      await rename(this.tempPath, this.path);
    } catch (error) {
      await rm(this.tempPath, { force: true });
      throw error;
    }
  }

  /** Closes and deletes the temporary file; `path` is left untouched. */
  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    const handle = this.handle;
    this.handle = undefined;
    if (handle !== undefined) await handle.close().catch(() => undefined);
    await rm(this.tempPath, { force: true });
  }
}
