/**
 * The IDX format of MNIST / Fashion-MNIST (LeCun): magic `00 00 <type> <ndims>`, then
 * `ndims` big-endian uint32 sizes, then the values. Only unsigned bytes (type 0x08) are used
 * by these datasets and supported here.
 */
import { DataFormatError } from '../errors';

/** A parsed IDX array. */
export interface IdxArray {
  readonly shape: number[];
  readonly data: Uint8Array;
}

/** The standard file names of MNIST-style datasets, per split (without `.gz`). */
export const IDX_FILES: Readonly<Record<string, { images: string; labels: string }>> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

/** Fashion-MNIST class names. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** True when `bytes` start like a gzip stream. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Parses an (uncompressed) IDX file. `name` is used in error messages. */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataFormatError(`${name}: not an IDX file (bad magic number)`, name);
  }
  if (bytes[2] !== 0x08) {
    throw new DataFormatError(
      `${name}: IDX value type 0x${bytes[2].toString(16)} is not supported (only unsigned bytes, 0x08)`,
      name,
    );
  }
  const ndims = bytes[3];
  const header = 4 + 4 * ndims;
  if (ndims === 0 || bytes.length < header)
    throw new DataFormatError(`${name}: truncated IDX header`, name);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let d = 0; d < ndims; d++) {
    const s = view.getUint32(4 + 4 * d, false);
    shape.push(s);
    count *= s;
  }
  if (bytes.length < header + count) {
    throw new DataFormatError(
      `${name}: IDX data is truncated: shape ${shape.join('x')} needs ${header + count} bytes, file has ${bytes.length}`,
      name,
    );
  }
  return { shape, data: bytes.subarray(header, header + count) };
}
