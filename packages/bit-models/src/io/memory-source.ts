import type { ByteSource } from './byte-source';
import { checkReadRange } from './byte-source';

/** A {@link ByteSource} over bytes already in memory (reads return views, no copies). */
export class MemoryByteSource implements ByteSource {
  /** Total size in bytes. */
  readonly size: number;

  /**
   * @param bytes the whole file.
   * @param name a name for messages (default `'memory'`).
   */
  constructor(
    private readonly bytes: Uint8Array,
    readonly name: string = 'memory',
  ) {
    this.size = bytes.length;
  }

  /** Returns a view of `length` bytes at `offset`. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkReadRange(this.name, this.size, offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
}
