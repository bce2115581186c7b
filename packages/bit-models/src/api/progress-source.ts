import type { DownloadProgressCallback } from '../download/index';
import type { ByteSource } from '../io/byte-source';

/**
 * A ByteSource that reports the bytes read so far through `onProgress` (at most every 100 ms,
 * and once when every byte has been read), for loads that read a remote file piecewise (HTTP
 * Range requests). Reads are passed through unchanged.
 */
export class ProgressByteSource implements ByteSource {
  readonly size: number;
  readonly name: string;
  private received = 0;
  private last = -Infinity;

  constructor(
    private readonly inner: ByteSource,
    private readonly onProgress: DownloadProgressCallback,
    private readonly url: string = inner.name,
  ) {
    this.size = inner.size;
    this.name = inner.name;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const bytes = await this.inner.read(offset, length);
    this.received = Math.min(this.size, this.received + bytes.length);
    const now = Date.now();
    if (now - this.last >= 100 || this.received === this.size) {
      this.last = now;
      this.onProgress({
        name: this.name,
        url: this.url,
        receivedBytes: this.received,
        totalBytes: this.size,
        resumedFrom: 0,
      });
    }
    return bytes;
  }

  async close(): Promise<void> {
    if (this.received < this.size) {
      // Readers skip bytes (zip padding, headers read once): the load is complete all the same.
      this.received = this.size;
      this.onProgress({
        name: this.name,
        url: this.url,
        receivedBytes: this.size,
        totalBytes: this.size,
        resumedFrom: 0,
      });
    }
    await this.inner.close?.();
  }
}
