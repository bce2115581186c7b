/** Node image decoding: sharp when available, else the pure-JS decoders. */
import { readFile } from 'node:fs/promises';
import { DataArgumentError, ImageDecodeError } from '../../errors';
import { checkImageHeader, resolveMaxPixels } from '../../formats/image-header';
import type { DecodedImage } from '../../image';
import { decodeWithJs } from './js';
import { decodeWithSharp, loadSharp } from './sharp';

/** Which decoder to use: 'auto' (sharp if it loads, else JS), 'sharp' (required) or 'js'. */
export type DecoderPreference = 'auto' | 'sharp' | 'js';

/** The decoder 'auto' / the preference resolves to here. */
export async function resolveDecoder(
  preference: DecoderPreference = 'auto',
): Promise<'sharp' | 'js'> {
  if (preference === 'js') return 'js';
  if (preference !== 'auto' && preference !== 'sharp') {
    throw new DataArgumentError(
      `decoder must be 'auto', 'sharp' or 'js', got ${String(preference)}`,
    );
  }
  const sharp = await loadSharp();
  if (sharp) return 'sharp';
  if (preference === 'sharp') {
    throw new DataArgumentError(
      "decoder 'sharp' was asked for but sharp is not installed (npm install sharp)",
    );
  }
  return 'js';
}

/** Options of {@link decodeImageBytes} and {@link decodeImageFile}. */
export interface DecodeOptions {
  /** Which decoder (default 'auto'). */
  readonly decoder?: DecoderPreference;
  /**
   * Largest image accepted, in pixels (width x height; default DEFAULT_MAX_PIXELS, 50 megapixels;
   * Infinity: no limit). Read from the header before decoding, and passed to sharp as
   * `limitInputPixels`, so both decoders refuse the same files.
   */
  readonly maxPixels?: number;
}

/**
 * Decodes encoded image bytes. `name` (a path) goes into the errors: ImageTooLargeError for an
 * image over `maxPixels` (found from its header, before any pixel buffer exists), ImageDecodeError
 * for broken input.
 */
export async function decodeImageBytes(
  bytes: Uint8Array,
  options: DecodeOptions & { name?: string } = {},
): Promise<DecodedImage> {
  const name = options.name ?? 'image';
  const maxPixels = resolveMaxPixels(options.maxPixels);
  if (bytes.length === 0) throw new ImageDecodeError(name, 'empty file');
  const which = await resolveDecoder(options.decoder);
  const header = checkImageHeader(bytes, name, maxPixels);
  try {
    if (which === 'sharp') return await decodeWithSharp((await loadSharp())!, bytes, { maxPixels });
    return decodeWithJs(bytes, {
      maxPixels,
      declaredPixels: header ? header.width * header.height : undefined,
    });
  } catch (e) {
    if (e instanceof ImageDecodeError) throw e;
    throw new ImageDecodeError(name, e instanceof Error ? e.message : String(e));
  }
}

/** Reads and decodes an image file. Broken files reject with ImageDecodeError naming the file. */
export async function decodeImageFile(
  path: string,
  options: DecodeOptions = {},
): Promise<DecodedImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new ImageDecodeError(path, e instanceof Error ? e.message : String(e));
  }
  return decodeImageBytes(bytes, { ...options, name: path });
}
