/** Decoding with sharp (libvips), loaded lazily: it is an optional dependency. */
import { resolveMaxPixels } from '../../formats/image-header';
import type { DecodedImage } from '../../image';

/** The sharp module's default export (the constructor function). */
export type SharpFunction = typeof import('sharp');

let sharpPromise: Promise<SharpFunction | null> | undefined;

/** Loads sharp once; resolves to null when it is not installed or fails to load. */
export function loadSharp(): Promise<SharpFunction | null> {
  sharpPromise ??= import('sharp').then(
    (m) =>
      ((m as { default?: SharpFunction }).default ??
        (m as unknown as SharpFunction)) as SharpFunction,
    () => null,
  );
  return sharpPromise;
}

/**
 * Decodes with sharp: EXIF orientation applied (`.rotate()`), alpha dropped, gray and other
 * colour spaces converted to sRGB, 16-bit reduced to 8-bit. Truncated files are errors
 * (`failOn: 'truncated'`). Images over `maxPixels` (default DEFAULT_MAX_PIXELS) are refused by
 * sharp's `limitInputPixels` before decoding. Throws sharp's error for broken input.
 */
export async function decodeWithSharp(
  sharp: SharpFunction,
  bytes: Uint8Array,
  limits: { readonly maxPixels?: number } = {},
): Promise<DecodedImage> {
  const maxPixels = resolveMaxPixels(limits.maxPixels);
  const { data, info } = await sharp(bytes, {
    failOn: 'truncated',
    limitInputPixels: maxPixels === Infinity ? false : maxPixels,
  })
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`sharp returned ${info.channels} channels, expected 3`);
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    height: info.height,
    width: info.width,
    channels: 3,
  };
}
