import type { ByteSource } from './byte-source';
import { checkReadRange } from './byte-source';
import { ByteSourceError } from '../errors';

/**
 * A {@link ByteSource} over a `Blob` or browser `File` (Node 20 has `Blob` too). Each read
 * slices the blob, so a multi-GB file picked in the browser is never loaded whole.
 */
export class BlobByteSource implements ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** The file's name (a `File`'s `name`), or the name given, or `'blob'`. */
  readonly name: string;

  /**
   * @param blob the blob or file.
   * @param name a name for messages; defaults to the `File`'s name.
   */
  constructor(
    private readonly blob: Blob,
    name?: string,
  ) {
    this.size = blob.size;
    const fileName = (blob as { name?: unknown }).name;
    this.name = name ?? (typeof fileName === 'string' && fileName !== '' ? fileName : 'blob');
  }

  /** Reads `length` bytes at `offset` (a slice of the blob). */
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkReadRange(this.name, this.size, offset, length);
    const bytes = new Uint8Array(await this.blob.slice(offset, offset + length).arrayBuffer());
    if (bytes.length !== length) {
      throw new ByteSourceError(
        'short-read',
        this.name,
        `asked for ${length} bytes at offset ${offset}, got ${bytes.length}`,
      );
    }
    return bytes;
  }
}
