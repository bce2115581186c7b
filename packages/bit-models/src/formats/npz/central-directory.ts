/**
 * Reading the zip end records and central directory of an .npz, refusing anything that
 * points outside the file or claims more than the file can hold, before allocating for it.
 */
import type { ByteSource } from '../../io/byte-source';
import { CheckpointFormatError } from '../../errors';
import {
  CENTRAL_HEADER_SIZE,
  EOCD_SIZE,
  getUint64,
  SIG_CENTRAL,
  SIG_EOCD,
  SIG_LOCAL,
  SIG_ZIP64_EOCD,
  SIG_ZIP64_LOCATOR,
  ZIP64_EOCD_SIZE,
  ZIP64_EXTRA_ID,
  ZIP64_LOCATOR_SIZE,
} from './zip-format';

/** One member as the central directory describes it. */
export interface CentralEntry {
  /** Position in the central directory. */
  index: number;
  /** File name (UTF-8 or CP437-as-Latin-1 decoded). */
  fileName: string;
  /** General purpose bit flags. */
  flags: number;
  /** Compression method. */
  method: number;
  /** CRC-32 of the uncompressed bytes. */
  crc32: number;
  /** Compressed size. */
  compressedSize: number;
  /** Uncompressed size. */
  uncompressedSize: number;
  /** Offset of the local header. */
  localOffset: number;
}

/** The parsed central directory. */
export interface CentralDirectory {
  /** Members in central-directory order. */
  entries: CentralEntry[];
  /** Offset of the central directory (members must end before it). */
  offset: number;
  /** Size of the central directory in bytes. */
  size: number;
}

/** Limits applied while reading the central directory. */
export interface CentralDirectoryLimits {
  maxEntries: number;
  maxCentralDirectoryBytes: number;
}

const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

/** Reads and validates the end records and the central directory of `source`. */
export async function readCentralDirectory(
  source: ByteSource,
  limits: CentralDirectoryLimits,
): Promise<CentralDirectory> {
  const file = source.name;
  const fail = (code: CheckpointFormatError['code'], detail: string): never => {
    throw new CheckpointFormatError(code, file, undefined, detail);
  };
  const size = source.size;
  if (size === 0) fail('not-zip', 'the file is empty');
  if (size < EOCD_SIZE) {
    const head = await source.read(0, Math.min(4, size));
    const looksZip =
      head.length === 4 &&
      new DataView(head.buffer, head.byteOffset).getUint32(0, true) === SIG_LOCAL;
    fail(looksZip ? 'truncated' : 'not-zip', `only ${size} bytes: too small for a zip archive`);
  }

  // The EOCD is in the last 22 + 65535 (comment) bytes; read 20 more for the zip64 locator.
  const tailLength = Math.min(size, EOCD_SIZE + 0xffff + ZIP64_LOCATOR_SIZE);
  const tailStart = size - tailLength;
  const tail = await source.read(tailStart, tailLength);
  const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let p = tailLength - EOCD_SIZE; p >= 0; p--) {
    if (tail[p] === 0x50 && tv.getUint32(p, true) === SIG_EOCD) {
      if (p + EOCD_SIZE + tv.getUint16(p + 20, true) <= tailLength) {
        eocd = p;
        break;
      }
    }
  }
  if (eocd < 0) {
    const head = await source.read(0, 4);
    const looksZip = new DataView(head.buffer, head.byteOffset).getUint32(0, true) === SIG_LOCAL;
    fail(
      looksZip ? 'truncated' : 'not-zip',
      looksZip
        ? 'starts like a zip archive but has no end-of-central-directory record (truncated download?)'
        : 'not a zip/.npz archive (no end-of-central-directory record)',
    );
  }
  const eocdPos = tailStart + eocd;
  let diskNumber = tv.getUint16(eocd + 4, true);
  let cdDisk = tv.getUint16(eocd + 6, true);
  let entriesOnDisk = tv.getUint16(eocd + 8, true);
  let totalEntries = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  let cdLimit = eocdPos; // the central directory must end before this

  // Zip64: a locator right before the EOCD points at the zip64 EOCD record.
  const loc = eocd - ZIP64_LOCATOR_SIZE;
  if (loc >= 0 && tv.getUint32(loc, true) === SIG_ZIP64_LOCATOR) {
    const z64Offset = getUint64(tv, loc + 8);
    const locatorPos = tailStart + loc;
    if (z64Offset === undefined || z64Offset + ZIP64_EOCD_SIZE > locatorPos) {
      fail(
        'out-of-bounds',
        `the zip64 end-of-central-directory record offset ${z64Offset ?? '> 2^53'} lies outside the file`,
      );
    }
    const z64 = await source.read(z64Offset as number, ZIP64_EOCD_SIZE);
    const zv = new DataView(z64.buffer, z64.byteOffset, z64.byteLength);
    if (zv.getUint32(0, true) !== SIG_ZIP64_EOCD) {
      fail(
        'bad-central-directory',
        `no zip64 end-of-central-directory record at offset ${z64Offset}`,
      );
    }
    diskNumber = zv.getUint32(16, true);
    cdDisk = zv.getUint32(20, true);
    const onDisk64 = getUint64(zv, 24);
    const total64 = getUint64(zv, 32);
    const size64 = getUint64(zv, 40);
    const offset64 = getUint64(zv, 48);
    if (
      onDisk64 === undefined ||
      total64 === undefined ||
      size64 === undefined ||
      offset64 === undefined
    ) {
      fail('out-of-bounds', 'the zip64 end-of-central-directory record holds values above 2^53');
    }
    entriesOnDisk = onDisk64 as number;
    totalEntries = total64 as number;
    cdSize = size64 as number;
    cdOffset = offset64 as number;
    cdLimit = z64Offset as number;
  }
  if (diskNumber !== 0 || cdDisk !== 0 || entriesOnDisk !== totalEntries) {
    fail('unsupported-zip', 'multi-disk (split) zip archives are not supported');
  }
  if (cdOffset + cdSize > cdLimit) {
    fail(
      'out-of-bounds',
      `the central directory (offset ${cdOffset}, ${cdSize} bytes) lies outside the file ` +
        `(its end records start at ${cdLimit}, the file has ${size} bytes)`,
    );
  }
  if (totalEntries > limits.maxEntries) {
    fail('too-many-entries', `${totalEntries} members exceed the limit of ${limits.maxEntries}`);
  }
  if (totalEntries * CENTRAL_HEADER_SIZE > cdSize) {
    fail(
      'too-many-entries',
      `${totalEntries} members cannot fit in a central directory of ${cdSize} bytes`,
    );
  }
  if (cdSize > limits.maxCentralDirectoryBytes) {
    fail(
      'too-many-entries',
      `the central directory of ${cdSize} bytes exceeds the limit of ${limits.maxCentralDirectoryBytes}`,
    );
  }

  const cd = await source.read(cdOffset, cdSize);
  const cv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const entries: CentralEntry[] = [];
  let p = 0;
  for (let index = 0; index < totalEntries; index++) {
    if (p + CENTRAL_HEADER_SIZE > cdSize || cv.getUint32(p, true) !== SIG_CENTRAL) {
      fail(
        'bad-central-directory',
        `central directory entry ${index} at offset ${cdOffset + p} is malformed`,
      );
    }
    const flags = cv.getUint16(p + 8, true);
    const method = cv.getUint16(p + 10, true);
    const crc32 = cv.getUint32(p + 16, true);
    let compressedSize = cv.getUint32(p + 20, true);
    let uncompressedSize = cv.getUint32(p + 24, true);
    const nameLength = cv.getUint16(p + 28, true);
    const extraLength = cv.getUint16(p + 30, true);
    const commentLength = cv.getUint16(p + 32, true);
    let diskStart = cv.getUint16(p + 34, true);
    let localOffset = cv.getUint32(p + 42, true);
    const end = p + CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength;
    if (end > cdSize) {
      fail(
        'bad-central-directory',
        `central directory entry ${index} runs past the directory's end`,
      );
    }
    const nameBytes = cd.subarray(p + CENTRAL_HEADER_SIZE, p + CENTRAL_HEADER_SIZE + nameLength);
    const fileName = (flags & 0x800 ? utf8 : latin1).decode(nameBytes);
    const memberFail = (code: CheckpointFormatError['code'], detail: string): never => {
      throw new CheckpointFormatError(code, file, fileName, detail);
    };
    // Zip64 extended information: present only for the fields that hold 0xFFFFFFFF/0xFFFF.
    let e = p + CENTRAL_HEADER_SIZE + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = cv.getUint16(e, true);
      const length = cv.getUint16(e + 2, true);
      if (e + 4 + length > extraEnd)
        memberFail('bad-central-directory', 'extra field runs past its end');
      if (id === ZIP64_EXTRA_ID) {
        let q = e + 4;
        const take = (what: string): number => {
          if (q + 8 > e + 4 + length)
            memberFail('bad-central-directory', `zip64 extra field lacks the ${what}`);
          const value = getUint64(cv, q);
          if (value === undefined) memberFail('out-of-bounds', `zip64 ${what} exceeds 2^53`);
          q += 8;
          return value as number;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = take('uncompressed size');
        if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
        if (localOffset === 0xffffffff) localOffset = take('local header offset');
        if (diskStart === 0xffff) {
          if (q + 4 > e + 4 + length)
            memberFail('bad-central-directory', 'zip64 extra field lacks the disk number');
          diskStart = cv.getUint32(q, true);
        }
      }
      e += 4 + length;
    }
    if (diskStart !== 0)
      memberFail('unsupported-zip', 'multi-disk (split) zip archives are not supported');
    if (localOffset >= cdOffset) {
      memberFail(
        'out-of-bounds',
        `local header offset ${localOffset} lies outside the member data area (which ends at ${cdOffset})`,
      );
    }
    entries.push({
      index,
      fileName,
      flags,
      method,
      crc32,
      compressedSize,
      uncompressedSize,
      localOffset,
    });
    p = end;
  }
  return { entries, offset: cdOffset, size: cdSize };
}
