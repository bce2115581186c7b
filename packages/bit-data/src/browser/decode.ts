/**
 * Browser decoding: `createImageBitmap` (EXIF orientation applied with
 * imageOrientation 'from-image') drawn on a canvas, or `tf.browser.fromPixels`.
 * Needs a DOM (or a worker with OffscreenCanvas); not used in Node.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DataArgumentError, ImageDecodeError } from '../errors';
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

/** Reads the pixels of a drawable image as RGB (alpha dropped). */
export function decodeDrawable(image: DrawableImage): DecodedImage {
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

/** Decodes an encoded image Blob/File (JPEG, PNG, WebP...). `name` is used in errors. */
export async function decodeBlob(
  blob: Blob,
  name = (blob as File).name ?? 'blob',
): Promise<DecodedImage> {
  if (blob.size === 0) throw new ImageDecodeError(name, 'empty file');
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch (e) {
    throw new ImageDecodeError(name, e instanceof Error ? e.message : String(e));
  }
  try {
    return decodeDrawable(bitmap);
  } finally {
    bitmap.close();
  }
}

/** Fetches and decodes an image URL. */
export async function decodeUrl(url: string): Promise<DecodedImage> {
  const response = await fetch(url);
  if (!response.ok) throw new ImageDecodeError(url, `HTTP ${response.status}`);
  return decodeBlob(await response.blob(), url);
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
