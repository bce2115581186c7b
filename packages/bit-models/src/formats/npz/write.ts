/**
 * Writing .npz archives exactly as numpy's `savez` (stored) and `savez_compressed`
 * (deflated) do: members `<name>.npy` with a .npy 1.0 header padded to 64 bytes, zip64
 * extra fields on every local header (numpy's force_zip64), CRC-32s, and zip64 end records
 * when the archive needs them. Streams member by member; 64-bit offsets throughout.
 */
import { Deflate } from 'fflate';
import type { ByteSink } from '../../io/byte-source';
import { MemorySink } from '../../io/memory-sink';
import { NpzWriteError } from '../../errors';
import { crc32 } from './crc32';
import { float32ToFloat16, numberToFloat16Bits } from './float16';
import { buildNpyHeader, MAX_NPY_ELEMENTS, npyItemSize, type NpyDtype } from './npy-header';
import {
  CENTRAL_HEADER_SIZE,
  dosDateTime,
  EOCD_SIZE,
  LOCAL_HEADER_SIZE,
  METHOD_DEFLATED,
  METHOD_STORED,
  setUint64,
  SIG_CENTRAL,
  SIG_EOCD,
  SIG_LOCAL,
  SIG_ZIP64_EOCD,
  SIG_ZIP64_LOCATOR,
  ZIP64_EOCD_SIZE,
  ZIP64_EXTRA_ID,
  ZIP64_LIMIT,
  ZIP64_LOCATOR_SIZE,
  ZIP64_VERSION,
  ZIP_FILECOUNT_LIMIT,
} from './zip-format';

/** One array to write. */
export interface NpzWriteArray {
  /** Array name; the member is `<name>.npy`. */
  name: string;
  /** Shape (C order); its product must equal `data.length`. */
  shape: readonly number[];
  /** Values. */
  data: Float32Array | Float64Array;
  /**
   * Stored type: 'float32' (`<f4`), 'float16' (`<f2`, rounded to nearest even) or
   * 'float64' (`<f8`). Default: 'float64' for a Float64Array, else 'float32'.
   */
  dtype?: NpyDtype;
}

/** Options of {@link writeNpz}. */
export interface WriteNpzOptions {
  /** Deflate members (numpy's savez_compressed); default false (savez). */
  compress?: boolean;
  /** Deflate level 0-9 (default 6, as zlib's default). */
  level?: number;
  /** Bytes of array data converted / written at a time (default 1 MiB). */
  chunkSize?: number;
  /** Modification time recorded for every member (default 1980-01-01 00:00, reproducible). */
  date?: Date;
}

/** @internal What the central directory records of one member. */
export interface CentralRecord {
  name: Uint8Array;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  offset: number;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const encoder = new TextEncoder();

function encodeName(name: string): { bytes: Uint8Array; flags: number } {
  let ascii = true;
  for (let i = 0; i < name.length && ascii; i++) ascii = name.charCodeAt(i) < 0x80;
  // Python's zipfile sets the UTF-8 flag (bit 11) for non-ASCII names.
  return { bytes: encoder.encode(name), flags: ascii ? 0 : 0x800 };
}

function validate(array: NpzWriteArray, seen: Set<string>): NpyDtype {
  const { name, shape, data } = array;
  if (typeof name !== 'string' || name === '' || name.includes('\0')) {
    throw new NpzWriteError(
      'bad-name',
      String(name),
      'names must be non-empty strings without NUL',
    );
  }
  if (seen.has(name)) throw new NpzWriteError('duplicate-name', name, 'appears twice');
  seen.add(name);
  if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) {
    throw new NpzWriteError(
      'unsupported-dtype',
      name,
      'data must be a Float32Array or Float64Array',
    );
  }
  const dtype = array.dtype ?? (data instanceof Float64Array ? 'float64' : 'float32');
  if (dtype !== 'float32' && dtype !== 'float16' && dtype !== 'float64') {
    throw new NpzWriteError(
      'unsupported-dtype',
      name,
      `dtype ${String(dtype)} is not float32, float16 or float64`,
    );
  }
  let size = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new NpzWriteError(
        'bad-shape',
        name,
        `shape [${shape.join(', ')}] has a bad dimension ${d}`,
      );
    }
    size *= d;
  }
  if (size > MAX_NPY_ELEMENTS) {
    throw new NpzWriteError(
      'bad-shape',
      name,
      `shape [${shape.join(', ')}] has more than 2^31 - 1 elements`,
    );
  }
  if (size !== data.length) {
    throw new NpzWriteError(
      'shape-mismatch',
      name,
      `shape [${shape.join(', ')}] holds ${size} elements but data has ${data.length}`,
    );
  }
  return dtype;
}

/** The .npy payload of one array, in chunks (header first, then data, little-endian). */
function* payloadChunks(
  array: NpzWriteArray,
  dtype: NpyDtype,
  chunkBytes: number,
): Generator<Uint8Array> {
  yield buildNpyHeader(dtype, array.shape);
  const data = array.data;
  const itemSize = npyItemSize(dtype);
  const perChunk = Math.max(1, Math.floor(chunkBytes / itemSize));
  for (let start = 0; start < data.length; start += perChunk) {
    const end = Math.min(data.length, start + perChunk);
    const part = data.subarray(start, end);
    const sameType =
      (dtype === 'float32' && part instanceof Float32Array) ||
      (dtype === 'float64' && part instanceof Float64Array);
    if (sameType && HOST_LITTLE_ENDIAN) {
      yield new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
      continue;
    }
    const out = new Uint8Array((end - start) * itemSize);
    const view = new DataView(out.buffer);
    if (dtype === 'float16') {
      if (part instanceof Float32Array) {
        const bits = float32ToFloat16(part);
        for (let i = 0; i < bits.length; i++) view.setUint16(i * 2, bits[i], true);
      } else {
        for (let i = 0; i < part.length; i++)
          view.setUint16(i * 2, numberToFloat16Bits(part[i]), true);
      }
    } else if (dtype === 'float32') {
      for (let i = 0; i < part.length; i++) view.setFloat32(i * 4, part[i], true);
    } else {
      for (let i = 0; i < part.length; i++) view.setFloat64(i * 8, part[i], true);
    }
    yield out;
  }
}

/** @internal The local file header numpy writes (zip64 extra with both sizes). */
export function localHeader(
  name: Uint8Array,
  flags: number,
  method: number,
  time: { time: number; date: number },
  crc: number,
  compressedSize: number,
  uncompressedSize: number,
): Uint8Array {
  const out = new Uint8Array(LOCAL_HEADER_SIZE + name.length + 20);
  const v = new DataView(out.buffer);
  v.setUint32(0, SIG_LOCAL, true);
  v.setUint16(4, ZIP64_VERSION, true);
  v.setUint16(6, flags, true);
  v.setUint16(8, method, true);
  v.setUint16(10, time.time, true);
  v.setUint16(12, time.date, true);
  v.setUint32(14, crc, true);
  v.setUint32(18, 0xffffffff, true);
  v.setUint32(22, 0xffffffff, true);
  v.setUint16(26, name.length, true);
  v.setUint16(28, 20, true);
  out.set(name, LOCAL_HEADER_SIZE);
  const e = LOCAL_HEADER_SIZE + name.length;
  v.setUint16(e, ZIP64_EXTRA_ID, true);
  v.setUint16(e + 2, 16, true);
  setUint64(v, e + 4, uncompressedSize);
  setUint64(v, e + 12, compressedSize);
  return out;
}

/** @internal A central directory header, zip64 fields as Python's zipfile. */
export function centralHeader(
  record: CentralRecord,
  time: { time: number; date: number },
): Uint8Array {
  // As Python's zipfile: zip64 fields only for values above ZIP64_LIMIT (2^31 - 1).
  const extra: number[] = [];
  let compressedSize = record.compressedSize;
  let uncompressedSize = record.uncompressedSize;
  let offset = record.offset;
  if (uncompressedSize > ZIP64_LIMIT || compressedSize > ZIP64_LIMIT) {
    extra.push(uncompressedSize, compressedSize);
    uncompressedSize = 0xffffffff;
    compressedSize = 0xffffffff;
  }
  if (offset > ZIP64_LIMIT) {
    extra.push(offset);
    offset = 0xffffffff;
  }
  const extraLength = extra.length > 0 ? 4 + 8 * extra.length : 0;
  const out = new Uint8Array(CENTRAL_HEADER_SIZE + record.name.length + extraLength);
  const v = new DataView(out.buffer);
  v.setUint32(0, SIG_CENTRAL, true);
  v.setUint16(4, (3 << 8) | ZIP64_VERSION, true); // made by: Unix, 4.5
  v.setUint16(6, ZIP64_VERSION, true);
  v.setUint16(8, record.flags, true);
  v.setUint16(10, record.method, true);
  v.setUint16(12, time.time, true);
  v.setUint16(14, time.date, true);
  v.setUint32(16, record.crc, true);
  v.setUint32(20, compressedSize, true);
  v.setUint32(24, uncompressedSize, true);
  v.setUint16(28, record.name.length, true);
  v.setUint16(30, extraLength, true);
  v.setUint16(32, 0, true); // comment
  v.setUint16(34, 0, true); // disk
  v.setUint16(36, 0, true); // internal attributes
  v.setUint32(38, 0o600 << 16, true); // external attributes: -rw-------, as zipfile.open('w')
  v.setUint32(42, offset, true);
  out.set(record.name, CENTRAL_HEADER_SIZE);
  if (extraLength > 0) {
    const e = CENTRAL_HEADER_SIZE + record.name.length;
    v.setUint16(e, ZIP64_EXTRA_ID, true);
    v.setUint16(e + 2, 8 * extra.length, true);
    extra.forEach((value, i) => setUint64(v, e + 4 + 8 * i, value));
  }
  return out;
}

/** @internal The end records (zip64 ones when Python's zipfile would write them). */
export function endRecords(count: number, cdSize: number, cdOffset: number): Uint8Array {
  const zip64 = count > ZIP_FILECOUNT_LIMIT || cdOffset > ZIP64_LIMIT || cdSize > ZIP64_LIMIT;
  const z64Length = zip64 ? ZIP64_EOCD_SIZE + ZIP64_LOCATOR_SIZE : 0;
  const out = new Uint8Array(z64Length + EOCD_SIZE);
  const v = new DataView(out.buffer);
  if (zip64) {
    v.setUint32(0, SIG_ZIP64_EOCD, true);
    setUint64(v, 4, ZIP64_EOCD_SIZE - 12); // size of the rest of the record (44)
    v.setUint16(12, ZIP64_VERSION, true);
    v.setUint16(14, ZIP64_VERSION, true);
    v.setUint32(16, 0, true);
    v.setUint32(20, 0, true);
    setUint64(v, 24, count);
    setUint64(v, 32, count);
    setUint64(v, 40, cdSize);
    setUint64(v, 48, cdOffset);
    const l = ZIP64_EOCD_SIZE;
    v.setUint32(l, SIG_ZIP64_LOCATOR, true);
    v.setUint32(l + 4, 0, true);
    setUint64(v, l + 8, cdOffset + cdSize); // the zip64 EOCD follows the central directory
    v.setUint32(l + 16, 1, true);
  }
  const e = z64Length;
  v.setUint32(e, SIG_EOCD, true);
  v.setUint16(e + 4, 0, true);
  v.setUint16(e + 6, 0, true);
  v.setUint16(e + 8, Math.min(count, 0xffff), true);
  v.setUint16(e + 10, Math.min(count, 0xffff), true);
  v.setUint32(e + 12, Math.min(cdSize, 0xffffffff), true);
  v.setUint32(e + 16, Math.min(cdOffset, 0xffffffff), true);
  v.setUint16(e + 20, 0, true);
  return out;
}

/**
 * Writes `arrays` as an .npz archive into `sink`, member by member, then closes the sink
 * (a FileSink renames its temporary file into place). On error, the sink is aborted when
 * it supports it. Output is byte-compatible with numpy's savez / savez_compressed
 * (deflated bytes differ from zlib's, the structure does not).
 * @throws NpzWriteError for bad names, shapes or dtypes.
 */
export async function writeNpz(
  arrays: Iterable<NpzWriteArray> | AsyncIterable<NpzWriteArray>,
  sink: ByteSink,
  options: WriteNpzOptions = {},
): Promise<void> {
  const method = options.compress ? METHOD_DEFLATED : METHOD_STORED;
  const level = options.level ?? 6;
  const chunkSize = Math.max(1024, Math.floor(options.chunkSize ?? 1024 * 1024));
  const time = dosDateTime(options.date);
  const seen = new Set<string>();
  const records: CentralRecord[] = [];
  let offset = 0;
  const write = async (bytes: Uint8Array): Promise<void> => {
    await sink.write(bytes);
    offset += bytes.length;
  };
  try {
    for await (const array of arrays) {
      const dtype = validate(array, seen);
      const { bytes: name, flags } = encodeName(`${array.name}.npy`);
      const headerOffset = offset;
      let crc = 0;
      let uncompressedSize = 0;
      if (method === METHOD_STORED) {
        // Pass 1: CRC (no copies for float32 data); pass 2: write.
        for (const chunk of payloadChunks(array, dtype, chunkSize)) {
          crc = crc32(chunk, crc);
          uncompressedSize += chunk.length;
        }
        await write(
          localHeader(name, flags, method, time, crc, uncompressedSize, uncompressedSize),
        );
        for (const chunk of payloadChunks(array, dtype, chunkSize)) await write(chunk);
        records.push({
          name,
          flags,
          method,
          crc,
          compressedSize: uncompressedSize,
          uncompressedSize,
          offset: headerOffset,
        });
      } else {
        // Compress first (the local header needs the compressed size), keeping the chunks.
        const compressed: Uint8Array[] = [];
        let compressedSize = 0;
        const deflate = new Deflate({ level: level as 6 }, (data) => {
          compressed.push(data);
          compressedSize += data.length;
        });
        for (const chunk of payloadChunks(array, dtype, chunkSize)) {
          crc = crc32(chunk, crc);
          uncompressedSize += chunk.length;
          deflate.push(chunk, false);
        }
        deflate.push(new Uint8Array(0), true);
        await write(localHeader(name, flags, method, time, crc, compressedSize, uncompressedSize));
        for (const chunk of compressed) await write(chunk);
        compressed.length = 0;
        records.push({
          name,
          flags,
          method,
          crc,
          compressedSize,
          uncompressedSize,
          offset: headerOffset,
        });
      }
    }
    const cdOffset = offset;
    for (const record of records) await write(centralHeader(record, time));
    await write(endRecords(records.length, offset - cdOffset, cdOffset));
    await sink.close();
  } catch (error) {
    await sink.abort?.(error).catch(() => undefined);
    throw error;
  }
}

/** Writes `arrays` as an .npz archive in memory (see {@link writeNpz}). */
export async function encodeNpz(
  arrays: Iterable<NpzWriteArray> | AsyncIterable<NpzWriteArray>,
  options: WriteNpzOptions = {},
): Promise<Uint8Array> {
  const sink = new MemorySink();
  await writeNpz(arrays, sink, options);
  return sink.bytes();
}
