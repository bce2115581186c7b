import { ByteSourceError } from '../errors';

/**
 * Random access to the bytes of a file-like object (local file, browser File/Blob, HTTP URL,
 * memory). Readers ask for exactly the ranges they need, so multi-GB checkpoints are never
 * held in memory whole.
 */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** A name for messages (path, URL, file name). */
  readonly name: string;
  /**
   * Reads `length` bytes at `offset`. Resolves with exactly `length` bytes or rejects
   * (a {@link ByteSourceError}). The returned bytes may be a view into a buffer the source
   * owns: callers must not modify them.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Releases the underlying handle (file descriptor, ...), if any. */
  close?(): Promise<void>;
}

/**
 * A destination for a stream of bytes (file, memory). `write` may keep no reference to the
 * chunk after its promise resolves, so callers may reuse the chunk's buffer.
 */
export interface ByteSink {
  /** Appends a chunk. */
  write(chunk: Uint8Array): Promise<void>;
  /** Finishes the output (flushes, renames a temp file into place, ...). */
  close(): Promise<void>;
  /** Gives up: discards what was written (removes a temp file, ...), if supported. */
  abort?(reason?: unknown): Promise<void>;
}

/**
 * Checks that [offset, offset + length) is a valid range of a source of `size` bytes.
 * @throws ByteSourceError with code 'out-of-range' otherwise.
 */
export function checkReadRange(name: string, size: number, offset: number, length: number): void {
  if (
    !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > size
  ) {
    throw new ByteSourceError(
      'out-of-range',
      name,
      `cannot read ${length} bytes at offset ${offset} of a ${size}-byte source`,
    );
  }
}
