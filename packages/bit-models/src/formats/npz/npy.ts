/** Reading one whole `.npy` file (numpy's `np.save`) from bytes. */
import { CheckpointFormatError } from '../../errors';
import { ElementDecoder } from './element-decoder';
import { isNpyHeader, parseNpyHeader } from './npy-header';
import type { NpyArray } from './types';

/**
 * Parses a whole `.npy` file: header (versions 1-3; `<f4`, `<f2`, `<f8` or big-endian) and data,
 * converted to float32. `name` names the file in errors.
 *
 * @throws CheckpointFormatError naming `name`: a bad header ('bad-npy-header',
 *   'unsupported-dtype', 'fortran-order', 'bad-shape') or data cut off ('truncated').
 */
export function readNpy(bytes: Uint8Array, name: string): NpyArray {
  const header = parseNpyHeader(bytes);
  if (!isNpyHeader(header)) {
    throw new CheckpointFormatError(header.code, name, undefined, header.detail);
  }
  const { headerLength, size, itemSize, dtype, bigEndian, shape } = header;
  const available = bytes.length - headerLength;
  if (available < size * itemSize) {
    throw new CheckpointFormatError(
      'truncated',
      name,
      undefined,
      `the .npy data is cut off: ${available} bytes for ${size} ${dtype} values (${size * itemSize} bytes)`,
    );
  }
  const decoder = new ElementDecoder(dtype, bigEndian, size, false);
  decoder.push(bytes.subarray(headerLength, headerLength + size * itemSize));
  return {
    name: name.replace(/^.*[\\/]/, '').replace(/\.npy$/i, ''),
    dtype,
    shape: [...shape],
    data: decoder.out as Float32Array,
  };
}
