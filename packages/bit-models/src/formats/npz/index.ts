/** The .npz checkpoint format (numpy savez / savez_compressed): isomorphic reader and writer. */
export { openNpz, type NpzArchive } from './read';
export { writeNpz, encodeNpz, type NpzWriteArray, type WriteNpzOptions } from './write';
export type { NpzEntry, NpyArray, NpyRawArray, OpenNpzOptions, NpyDtype } from './types';
export {
  float32ToFloat16,
  float16ToFloat32,
  numberToFloat16Bits,
  float16BitsToNumber,
} from './float16';
export { crc32 } from './crc32';
export { parseNpyHeader, buildNpyHeader, type NpyHeader } from './npy-header';
export { readNpy } from './npy';
