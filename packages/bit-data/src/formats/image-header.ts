/**
 * Image dimensions from the header bytes alone (PNG IHDR, JPEG SOF, GIF, WebP, BMP), and the
 * pixel limit every decoder checks before it allocates a pixel buffer (isomorphic).
 *
 * Besides the declared size, PNG and JPEG get a plausibility bound: deflate expands data at most
 * 1032:1, so a PNG whose IDAT chunks are too small for its declared rows is refused; a Huffman-coded
 * JPEG spends at least one bit per 8x8 block of its first scan's component, so a file smaller
 * than that is refused. Both bounds hold for every valid file; they stop a small corrupted file
 * that claims millions of pixels from being decoded at that size.
 */
import { ImageDecodeError, ImageTooLargeError } from '../errors';

/** Default pixel limit (width x height): 50 megapixels, far above BiT's largest resolution (512). */
export const DEFAULT_MAX_PIXELS = 50_000_000;

/** What the header says about an image. */
export interface ImageHeader {
  readonly format: 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp';
  readonly width: number;
  readonly height: number;
  /**
   * Compressed bytes the header's size needs at least (PNG: raw rows / 1032; Huffman JPEG:
   * blocks / 8); undefined when no sound bound is known.
   */
  readonly minDataBytes?: number;
  /** Compressed image data present in the file (PNG: IDAT bytes; JPEG: bytes after the first SOS). */
  readonly dataBytes?: number;
}

const u16be = (b: Uint8Array, p: number): number => (b[p] << 8) | b[p + 1];
const u16le = (b: Uint8Array, p: number): number => b[p] | (b[p + 1] << 8);
const u32be = (b: Uint8Array, p: number): number =>
  ((b[p] << 24) >>> 0) + (b[p + 1] << 16) + (b[p + 2] << 8) + b[p + 3];
const u32le = (b: Uint8Array, p: number): number =>
  b[p] + (b[p + 1] << 8) + (b[p + 2] << 16) + ((b[p + 3] << 24) >>> 0);
const i32le = (b: Uint8Array, p: number): number =>
  b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);

function ascii(b: Uint8Array, p: number, n: number): string {
  let s = '';
  for (let i = 0; i < n && p + i < b.length; i++) s += String.fromCharCode(b[p + i]);
  return s;
}

/** Bits per pixel of a PNG colour type and bit depth (0 when the pair is invalid). */
function pngBitsPerPixel(colourType: number, depth: number): number {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colourType];
  return channels === undefined ? 0 : channels * depth;
}

function pngHeader(b: Uint8Array): ImageHeader | undefined {
  // Signature (8), then the IHDR chunk: length (4) "IHDR" width height depth colour ...
  if (b.length < 8 + 8 + 13 || ascii(b, 12, 4) !== 'IHDR') return undefined;
  const width = u32be(b, 16);
  const height = u32be(b, 20);
  const bpp = pngBitsPerPixel(b[25], b[24]);
  let dataBytes = 0;
  for (let p = 8; p + 8 <= b.length;) {
    const length = u32be(b, p);
    if (ascii(b, p + 4, 4) === 'IDAT') dataBytes += Math.min(length, b.length - p - 8);
    if (ascii(b, p + 4, 4) === 'IEND') break;
    p += 12 + length;
  }
  const rowBytes = 1 + Math.ceil((width * Math.max(bpp, 1)) / 8);
  // zlib: 2 header bytes + deflate (at most 1032:1) + 4 Adler bytes, plus slack.
  const minDataBytes = Math.floor((height * rowBytes) / 1032) - 64;
  return { format: 'png', width, height, minDataBytes, dataBytes };
}

function isSofMarker(m: number): boolean {
  return m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
}

function jpegHeader(b: Uint8Array): ImageHeader | undefined {
  // Walks the marker segments and, after each scan, its entropy-coded data, so every frame
  // header in the file counts (a decoder may use any of them); the largest one is reported.
  let width = 0;
  let height = 0;
  let found = false;
  let arithmetic = false;
  let firstScanAt = -1;
  let blocks = 0;
  let p = 2;
  while (p + 4 <= b.length) {
    if (b[p] !== 0xff) {
      p++;
      continue;
    }
    const m = b[p + 1];
    if (m === 0xff || m === 0x00 || (m >= 0xd0 && m <= 0xd8) || m === 0x01) {
      p += m === 0xff ? 1 : 2;
      continue;
    }
    if (m === 0xd9) break;
    const length = u16be(b, p + 2);
    if (isSofMarker(m) && p + 9 <= b.length) {
      found = true;
      const h = u16be(b, p + 5);
      const w = u16be(b, p + 7);
      if (w * Math.max(h, 1) >= width * Math.max(height, 1)) {
        width = w;
        height = h;
        // The first component's sampling factors set its share of the 8x8 blocks.
        const comps = b[p + 9];
        const hv = comps > 0 && p + 11 < b.length ? b[p + 11] : 0x11;
        let hMax = 1;
        let vMax = 1;
        for (let c = 0; c < comps && p + 11 + 3 * c < b.length; c++) {
          hMax = Math.max(hMax, b[p + 11 + 3 * c] >> 4);
          vMax = Math.max(vMax, b[p + 11 + 3 * c] & 15);
        }
        const hs = Math.max(1, hv >> 4);
        const vs = Math.max(1, hv & 15);
        blocks =
          Math.ceil(Math.ceil((w * hs) / hMax) / 8) * Math.ceil(Math.ceil((h * vs) / vMax) / 8);
      }
      if (m >= 0xc9) arithmetic = true;
    }
    if (m === 0xda && firstScanAt < 0) firstScanAt = p + 2 + length;
    p += 2 + length;
    if (m === 0xda) {
      // Entropy-coded data: skip to the next marker that is not a stuffed byte or a restart.
      while (p + 1 < b.length && !(b[p] === 0xff && b[p + 1] !== 0 && (b[p + 1] & 0xf8) !== 0xd0))
        p++;
    }
  }
  if (!found) return undefined;
  const dataBytes = firstScanAt < 0 ? 0 : Math.max(0, b.length - firstScanAt);
  return {
    format: 'jpeg',
    width,
    height,
    dataBytes,
    ...(arithmetic ? {} : { minDataBytes: Math.floor(blocks / 8) - 64 }),
  };
}

function gifHeader(b: Uint8Array): ImageHeader | undefined {
  if (b.length < 10) return undefined;
  return { format: 'gif', width: u16le(b, 6), height: u16le(b, 8) };
}

function webpHeader(b: Uint8Array): ImageHeader | undefined {
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8X' && b.length >= 30) {
    const w = 1 + (b[24] | (b[25] << 8) | (b[26] << 16));
    const h = 1 + (b[27] | (b[28] << 8) | (b[29] << 16));
    return { format: 'webp', width: w, height: h };
  }
  if (chunk === 'VP8L' && b.length >= 25) {
    const bits = u32le(b, 21);
    return { format: 'webp', width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) };
  }
  if (chunk === 'VP8 ' && b.length >= 30) {
    return { format: 'webp', width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  }
  return undefined;
}

function bmpHeader(b: Uint8Array): ImageHeader | undefined {
  if (b.length < 26) return undefined;
  const headerSize = u32le(b, 14);
  if (headerSize === 12) return { format: 'bmp', width: u16le(b, 18), height: u16le(b, 20) };
  return { format: 'bmp', width: Math.abs(i32le(b, 18)), height: Math.abs(i32le(b, 22)) };
}

/**
 * The format and declared size of encoded image bytes, from the header only; undefined when the
 * bytes are none of PNG, JPEG, GIF, WebP, BMP or the header is cut short. For JPEG the whole file
 * is walked (segment lengths, not pixels), so every frame header is seen.
 */
export function readImageHeader(bytes: Uint8Array): ImageHeader | undefined {
  const b = bytes;
  if (b.length >= 8 && u32be(b, 0) === 0x89504e47 && u32be(b, 4) === 0x0d0a1a0a)
    return pngHeader(b);
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return jpegHeader(b);
  if (ascii(b, 0, 4) === 'GIF8') return gifHeader(b);
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return webpHeader(b);
  if (ascii(b, 0, 2) === 'BM') return bmpHeader(b);
  return undefined;
}

/** Checks a `maxPixels` option: a positive integer (or Infinity to turn the limit off). */
export function resolveMaxPixels(maxPixels: number | undefined): number {
  if (maxPixels === undefined) return DEFAULT_MAX_PIXELS;
  if (maxPixels === Infinity) return Infinity;
  if (!Number.isInteger(maxPixels) || maxPixels <= 0) {
    throw new RangeError(`maxPixels must be a positive integer, got ${String(maxPixels)}`);
  }
  return maxPixels;
}

/**
 * Refuses an image whose declared size is over `maxPixels` (ImageTooLargeError), has a zero
 * side, or is implausible for the data it holds (ImageDecodeError), all before any decoding.
 * Returns the header (undefined for formats it cannot read: the decoder's own limit applies).
 */
export function checkImageHeader(
  bytes: Uint8Array,
  name: string,
  maxPixels: number = DEFAULT_MAX_PIXELS,
): ImageHeader | undefined {
  const header = readImageHeader(bytes);
  if (header === undefined) return undefined;
  checkDeclaredSize(header.width, header.height, name, maxPixels, header.format);
  if (
    header.minDataBytes !== undefined &&
    header.dataBytes !== undefined &&
    header.dataBytes < header.minDataBytes
  ) {
    throw new ImageDecodeError(
      name,
      `the ${header.format.toUpperCase()} header declares ${header.width}x${header.height} pixels, ` +
        `but the file holds only ${header.dataBytes} bytes of image data (at least ${header.minDataBytes} needed)`,
    );
  }
  return header;
}

/** Refuses a width x height over `maxPixels` (ImageTooLargeError) or with a zero side. */
export function checkDeclaredSize(
  width: number,
  height: number,
  name: string,
  maxPixels: number = DEFAULT_MAX_PIXELS,
  format = 'image',
): void {
  if (width === 0 || height === 0) {
    throw new ImageDecodeError(name, `the ${format} header declares a size of ${width}x${height}`);
  }
  if (width * height > maxPixels) throw new ImageTooLargeError(name, width, height, maxPixels);
}
