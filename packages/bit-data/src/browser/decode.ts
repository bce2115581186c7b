/**
 * Browser decoding: `createImageBitmap` (EXIF orientation applied with
 * imageOrientation 'from-image') drawn on a canvas, or `tf.browser.fromPixels`.
 * Needs a DOM (or a worker with OffscreenCanvas); not used in Node.
 *
 * The pixel limit (`maxPixels`, default DEFAULT_MAX_PIXELS) is checked from the encoded header
 * (PNG, JPEG, GIF, WebP, BMP) before the browser decodes anything; for other formats, from the
 * bitmap's size before the canvas and its pixel buffer are made.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DataArgumentError, ImageDecodeError } from '../errors';
import {
  checkDeclaredSize,
  checkImageHeader,
  readImageHeader,
  resolveMaxPixels,
} from '../formats/image-header';
import { toRgbImage, type DecodedImage } from '../image';

/** Anything a 2D canvas can draw. */
export type DrawableImage =
  ImageBitmap | HTMLImageElement | HTMLCanvasElement | HTMLVideoElement | OffscreenCanvas;

function canvas2d(
  width: number,
  height: number,
): OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D {
  if (typeof OffscreenCanvas !== 'undefined') {
    const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    if (ctx) return ctx;
  }
  if (typeof document !== 'undefined') {
    const c = document.createElement('canvas');
    c.width = width;
    c.height = height;
    const ctx = c.getContext('2d', { willReadFrequently: true });
    if (ctx) return ctx;
  }
  throw new DataArgumentError(
    'browser decode: no OffscreenCanvas or document canvas in this environment',
  );
}

/** Options of the browser decoders. */
export interface BrowserDecodeOptions {
  /** Largest image accepted, in pixels (default DEFAULT_MAX_PIXELS; Infinity: no limit). */
  readonly maxPixels?: number;
  /** Name for errors (default: the File's name, the URL, or 'image'). */
  readonly name?: string;
}

/**
 * Reads the pixels of a drawable image as RGB (alpha dropped). An image over `maxPixels` is
 * refused (ImageTooLargeError) before a canvas is made.
 */
export function decodeDrawable(
  image: DrawableImage,
  options: BrowserDecodeOptions = {},
): DecodedImage {
  const width =
    'naturalWidth' in image
      ? image.naturalWidth
      : 'videoWidth' in image
        ? image.videoWidth
        : image.width;
  const height =
    'naturalHeight' in image
      ? image.naturalHeight
      : 'videoHeight' in image
        ? image.videoHeight
        : image.height;
  if (!width || !height)
    throw new DataArgumentError('browser decode: the image has no size (not loaded yet?)');
  const name =
    options.name ?? (('src' in image && typeof image.src === 'string' && image.src) || 'image');
  checkDeclaredSize(width, height, name, resolveMaxPixels(options.maxPixels));
  const ctx = canvas2d(width, height);
  ctx.drawImage(image as CanvasImageSource, 0, 0);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  return toRgbImage(
    new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength),
    height,
    width,
    4,
  );
}

/** Bytes read from a Blob's start to find the header (a JPEG's frame header may come later). */
const HEADER_PROBE_BYTES = 256 * 1024;

async function blobBytes(blob: Blob, end: number): Promise<Uint8Array> {
  return new Uint8Array(await blob.slice(0, end).arrayBuffer());
}

/**
 * Checks an encoded Blob's declared size against `maxPixels` from its header bytes: the first
 * 256 KiB, or the whole Blob for a JPEG whose frame header lies beyond them (big EXIF blocks).
 */
async function checkBlobHeader(blob: Blob, name: string, maxPixels: number): Promise<void> {
  let bytes = await blobBytes(blob, HEADER_PROBE_BYTES);
  const first = readImageHeader(bytes);
  const jpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  if (jpeg && blob.size > bytes.length) bytes = await blobBytes(blob, blob.size);
  else if (first === undefined) return;
  checkImageHeader(bytes, name, maxPixels);
}

/**
 * Decodes an encoded image Blob/File (JPEG, PNG, WebP...). `name` (or `options.name`) is used in
 * errors. Images over `options.maxPixels` are refused (ImageTooLargeError) before decoding.
 */
export async function decodeBlob(
  blob: Blob,
  name: string = (blob as File).name ?? 'blob',
  options: BrowserDecodeOptions = {},
): Promise<DecodedImage> {
  name = options.name ?? name;
  const maxPixels = resolveMaxPixels(options.maxPixels);
  if (blob.size === 0) throw new ImageDecodeError(name, 'empty file');
  await checkBlobHeader(blob, name, maxPixels);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch (e) {
    throw new ImageDecodeError(name, e instanceof Error ? e.message : String(e));
  }
  try {
    return decodeDrawable(bitmap, { name, maxPixels });
  } finally {
    bitmap.close();
  }
}

/** Fetches and decodes an image URL (under `options.maxPixels`, as decodeBlob). */
export async function decodeUrl(
  url: string,
  options: BrowserDecodeOptions = {},
): Promise<DecodedImage> {
  const response = await fetch(url);
  if (!response.ok) throw new ImageDecodeError(url, `HTTP ${response.status}`);
  return decodeBlob(await response.blob(), url, options);
}

/** Decodes with `tf.browser.fromPixels` (3 channels), reading the pixels back to the CPU. */
export function decodeWithTf(
  image: ImageData | HTMLImageElement | HTMLCanvasElement | HTMLVideoElement | ImageBitmap,
): DecodedImage {
  const data = tf.tidy(() => tf.browser.fromPixels(image, 3));
  try {
    const [height, width] = data.shape;
    return { data: Uint8Array.from(data.dataSync()), height, width, channels: 3 };
  } finally {
    data.dispose();
  }
}
