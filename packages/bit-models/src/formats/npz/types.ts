import type { NpyDtype } from './npy-header';

export type { NpyDtype } from './npy-header';

/** One array (member `<name>.npy`) of an .npz archive, known from its headers. */
export interface NpzEntry {
  /** Array name: the member's file name without `.npy`. */
  readonly name: string;
  /** The member's file name inside the zip (`<name>.npy`). */
  readonly fileName: string;
  /** Element type stored in the file. */
  readonly dtype: NpyDtype;
  /** The .npy `descr`, e.g. `<f4`. */
  readonly descr: string;
  /** Array shape (C order). */
  readonly shape: readonly number[];
  /** Number of elements. */
  readonly size: number;
  /** Bytes of array data in the file (`size * itemSize`, without the .npy header). */
  readonly byteSize: number;
  /** True for a deflated member (savez_compressed), false for stored (savez). */
  readonly compressed: boolean;
  /** Bytes the member occupies in the zip. */
  readonly compressedSize: number;
  /** Bytes of the .npy payload (header + data). */
  readonly uncompressedSize: number;
  /** CRC-32 of the .npy payload, from the central directory. */
  readonly crc32: number;
}

/** An array read from an .npz archive, as float32. */
export interface NpyArray {
  /** Array name (member name without `.npy`). */
  name: string;
  /** Element type stored in the file (the data is float32 regardless). */
  dtype: NpyDtype;
  /** Array shape (C order). */
  shape: number[];
  /** Values, converted to float32 (exact for float16, rounded for float64). */
  data: Float32Array;
}

/**
 * An array read without conversion: float32 -> Float32Array, float16 -> Uint16Array of bit
 * patterns, float64 -> Float64Array (in native byte order).
 */
export interface NpyRawArray {
  /** Array name (member name without `.npy`). */
  name: string;
  /** Element type stored in the file. */
  dtype: NpyDtype;
  /** Array shape (C order). */
  shape: number[];
  /** Values in the stored type. */
  data: Float32Array | Uint16Array | Float64Array;
}

/** Options of `openNpz`. */
export interface OpenNpzOptions {
  /** Largest single read from the source, in bytes (default 4 MiB). */
  chunkSize?: number;
  /** Most members an archive may have (default 100 000). */
  maxEntries?: number;
  /** Largest central directory read into memory, in bytes (default 64 MiB). */
  maxCentralDirectoryBytes?: number;
  /** Verify the CRC-32 of every member read (default true). */
  verifyCrc?: boolean;
  /** Reads in flight while reading the members' headers at open (default 8). */
  concurrency?: number;
}
