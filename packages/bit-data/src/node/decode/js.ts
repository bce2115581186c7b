/**
 * Pure-JS decoding for when sharp is missing: PNG with pngjs, JPEG with jpeg-js (EXIF
 * orientation read from the APP1 segment and applied here). Other formats need sharp.
 */
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { readJpegOrientation } from '../../formats/exif';
import { checkImageHeader, resolveMaxPixels, type ImageHeader } from '../../formats/image-header';
import { applyExifOrientation, toRgbImage, type DecodedImage } from '../../image';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** True when `bytes` start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

/** True when `bytes` start with a JPEG SOI marker. */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** True when a JPEG has its end-of-image marker after the first scan (i.e. is not truncated). */
export function jpegHasEnd(bytes: Uint8Array): boolean {
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) return false;
    const marker = bytes[p + 1];
    if (marker === 0xff) {
      p++;
      continue;
    }
    if (marker === 0xda) break; // start of scan: entropy-coded data follows
    p += 2 + ((bytes[p + 2] << 8) | bytes[p + 3]);
  }
  // In entropy-coded data 0xFF is followed by 0x00 or a restart marker, so FFD9 is the end.
  for (let i = bytes.length - 2; i > p; i--)
    if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return true;
  return false;
}

function pixelsOf(header: ImageHeader | undefined): number {
  return header ? header.width * header.height : 0;
}

/** Limits of {@link decodeWithJs}. */
export interface JsDecodeLimits {
  /** Largest image in pixels (default: DEFAULT_MAX_PIXELS). */
  readonly maxPixels?: number;
  /** The size the header declares, when already read (sizes jpeg-js's memory budget). */
  readonly declaredPixels?: number;
}

/**
 * Decodes PNG or JPEG bytes to RGB. Throws an Error saying what is wrong. The header is checked
 * against `maxPixels` first (see checkImageHeader); jpeg-js gets the same limit and a memory
 * budget sized from the declared pixels.
 */
export function decodeWithJs(bytes: Uint8Array, limits: JsDecodeLimits = {}): DecodedImage {
  const maxPixels = resolveMaxPixels(limits.maxPixels);
  const declared = limits.declaredPixels ?? pixelsOf(checkImageHeader(bytes, 'image', maxPixels));
  if (isPng(bytes)) {
    const png = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return toRgbImage(
      new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength),
      png.height,
      png.width,
      4,
    );
  }
  if (isJpeg(bytes)) {
    if (!jpegHasEnd(bytes)) throw new Error('truncated JPEG (no end-of-image marker)');
    const img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: Math.min(maxPixels, 1e9) / 1e6,
      // Output, component planes and coefficient blocks: about 12 bytes per pixel at most.
      maxMemoryUsageInMB: Math.min(4096, Math.max(64, Math.ceil((declared * 12) / 2 ** 20))),
    });
    const rgb = toRgbImage(img.data, img.height, img.width, 3);
    return applyExifOrientation(rgb, readJpegOrientation(bytes));
  }
  throw new Error('not a PNG or JPEG (other formats need sharp)');
}
