/** The .npz checkpoint format (numpy savez / savez_compressed): isomorphic reader and writer. */
export { openNpz, type NpzArchive } from './read.js';
export { writeNpz, encodeNpz, type NpzWriteArray, type WriteNpzOptions } from './write.js';
export type { NpzEntry, NpyArray, NpyRawArray, OpenNpzOptions, NpyDtype } from './types.js';
export {
  float32ToFloat16,
  float16ToFloat32,
  numberToFloat16Bits,
  float16BitsToNumber,
} from './float16.js';
export { crc32 } from './crc32.js';
export { parseNpyHeader, buildNpyHeader, type NpyHeader } from './npy-header.js';
export { readNpy } from './npy.js';
