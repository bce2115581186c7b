import type { ByteSink } from './byte-source';

/** A {@link ByteSink} that collects everything written into one `Uint8Array`. */
export class MemorySink implements ByteSink {
  private buffer: Uint8Array;
  private length = 0;
  private closed = false;

  /** @param initialCapacity bytes to reserve up front (grows by doubling). */
  constructor(initialCapacity = 1 << 16) {
    this.buffer = new Uint8Array(Math.max(16, initialCapacity));
  }

  /** Number of bytes written so far. */
  get byteLength(): number {
    return this.length;
  }

  /** Appends a copy of `chunk`. */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('MemorySink: write after close');
    const needed = this.length + chunk.length;
    if (needed > this.buffer.length) {
      let capacity = this.buffer.length;
      while (capacity < needed) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(chunk, this.length);
    this.length = needed;
  }

  /** Marks the sink finished; `bytes()` stays available. */
  async close(): Promise<void> {
    this.closed = true;
  }

  /** The bytes written so far (a view; trimmed to the written length). */
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}
