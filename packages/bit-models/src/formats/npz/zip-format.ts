/**
 * Zip structures shared by the .npz reader and writer: signatures, limits and
 * little-endian field helpers.
 */

/** Local file header signature "PK\x03\x04". */
export const SIG_LOCAL = 0x04034b50;
/** Central directory file header signature "PK\x01\x02". */
export const SIG_CENTRAL = 0x02014b50;
/** End of central directory signature "PK\x05\x06". */
export const SIG_EOCD = 0x06054b50;
/** Zip64 end of central directory record signature "PK\x06\x06". */
export const SIG_ZIP64_EOCD = 0x06064b50;
/** Zip64 end of central directory locator signature "PK\x06\x07". */
export const SIG_ZIP64_LOCATOR = 0x07064b50;

/** Fixed part of a local file header. */
export const LOCAL_HEADER_SIZE = 30;
/** Fixed part of a central directory header. */
export const CENTRAL_HEADER_SIZE = 46;
/** End of central directory record (without comment). */
export const EOCD_SIZE = 22;
/** Zip64 end of central directory record (without extensible data). */
export const ZIP64_EOCD_SIZE = 56;
/** Zip64 end of central directory locator. */
export const ZIP64_LOCATOR_SIZE = 20;
/** Extra field id of the zip64 extended information. */
export const ZIP64_EXTRA_ID = 0x0001;

/** Python zipfile's ZIP64_LIMIT: sizes/offsets above it go to zip64 fields. */
export const ZIP64_LIMIT = 2 ** 31 - 1;
/** Python zipfile's ZIP_FILECOUNT_LIMIT. */
export const ZIP_FILECOUNT_LIMIT = 0xffff;
/** "Version needed to extract" for zip64 (4.5). */
export const ZIP64_VERSION = 45;

/** Compression method: stored. */
export const METHOD_STORED = 0;
/** Compression method: deflated. */
export const METHOD_DEFLATED = 8;

/** Deflate cannot expand more than ~1032:1; used to refuse impossible declared sizes. */
export const MAX_DEFLATE_RATIO = 1032;

/** Reads a 64-bit little-endian unsigned integer as a number, or undefined if > 2^53 - 1. */
export function getUint64(view: DataView, offset: number): number | undefined {
  const value = view.getBigUint64(offset, true);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(value);
}

/** Writes a non-negative safe integer as a 64-bit little-endian unsigned integer. */
export function setUint64(view: DataView, offset: number, value: number): void {
  view.setBigUint64(offset, BigInt(value), true);
}

/** DOS time and date fields of a Date (local time, as Python's zipfile). */
export function dosDateTime(date: Date | undefined): { time: number; date: number } {
  if (date === undefined) return { time: 0, date: (1 << 5) | 1 }; // 1980-01-01 00:00:00
  const year = Math.min(Math.max(date.getFullYear(), 1980), 2107);
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}
