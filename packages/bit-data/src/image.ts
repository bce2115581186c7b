/**
 * The decoded image type shared by every source, decoder and transform, plus small
 * channel/orientation helpers on typed arrays (isomorphic).
 */
import { DataArgumentError } from './errors';

/** An 8-bit RGB image in row-major HWC layout: `data.length === height * width * 3`. */
export interface DecodedImage {
  readonly data: Uint8Array;
  readonly height: number;
  readonly width: number;
  readonly channels: 3;
}

/**
 * An image that is decoded on demand. `file` is set when the image is a local file a worker
 * thread can open by itself (the worker pool then sends only the path, not the pixels).
 */
export interface LazyImage {
  readonly kind: 'lazy';
  /** A path, URL or name, used in warnings and `skipped` lists. */
  readonly path: string;
  /** A local file path a worker thread may decode itself. */
  readonly file?: string;
  /** The pixel limit a worker thread decoding `file` applies (default DEFAULT_MAX_PIXELS). */
  readonly maxPixels?: number;
  /** Decodes the image; rejects with ImageDecodeError when it is broken. */
  load(): Promise<DecodedImage>;
}

/** What an example's `image` holds: pixels, or a loader for them. */
export type ImageRef = DecodedImage | LazyImage;

/** True when `image` is a lazy loader rather than decoded pixels. */
export function isLazyImage(image: ImageRef): image is LazyImage {
  return (image as LazyImage).kind === 'lazy';
}

/** Resolves an ImageRef to pixels. */
export async function loadImage(image: ImageRef): Promise<DecodedImage> {
  return isLazyImage(image) ? image.load() : image;
}

/**
 * Builds an RGB DecodedImage from interleaved 8-bit pixels with 1 (gray), 2 (gray + alpha),
 * 3 (RGB) or 4 (RGBA) channels. Gray is replicated to RGB; alpha is dropped (as
 * `tf.io.decode_image(channels=3)` does).
 */
export function toRgbImage(
  data: Uint8Array,
  height: number,
  width: number,
  channels: number,
): DecodedImage {
  const n = height * width;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0) {
    throw new DataArgumentError(
      `toRgbImage: height and width must be positive integers, got ${height}x${width}`,
    );
  }
  if (data.length < n * channels) {
    throw new DataArgumentError(
      `toRgbImage: data has ${data.length} bytes, expected ${n * channels} for ${height}x${width}x${channels}`,
    );
  }
  if (channels === 3) {
    return {
      data: data.length === n * 3 ? data : data.subarray(0, n * 3),
      height,
      width,
      channels: 3,
    };
  }
  if (channels !== 1 && channels !== 2 && channels !== 4) {
    throw new DataArgumentError(`toRgbImage: channels must be 1, 2, 3 or 4, got ${channels}`);
  }
  const out = new Uint8Array(n * 3);
  if (channels <= 2) {
    for (let i = 0, j = 0; i < n; i++, j += channels) {
      const v = data[j];
      out[i * 3] = v;
      out[i * 3 + 1] = v;
      out[i * 3 + 2] = v;
    }
  } else {
    for (let i = 0, j = 0; i < n; i++, j += 4) {
      out[i * 3] = data[j];
      out[i * 3 + 1] = data[j + 1];
      out[i * 3 + 2] = data[j + 2];
    }
  }
  return { data: out, height, width, channels: 3 };
}

/**
 * Applies an EXIF orientation (1..8) to an image, giving the upright image a viewer shows.
 * Orientations 5..8 swap height and width. Unknown values leave the image as it is.
 */
export function applyExifOrientation(image: DecodedImage, orientation: number): DecodedImage {
  if (!(orientation >= 2 && orientation <= 8)) return image;
  const { height: h, width: w, data } = image;
  const swap = orientation >= 5;
  const oh = swap ? w : h;
  const ow = swap ? h : w;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      // (sy, sx): the stored pixel shown at (y, x).
      let sy: number;
      let sx: number;
      switch (orientation) {
        case 2: // mirrored horizontally
          sy = y;
          sx = w - 1 - x;
          break;
        case 3: // rotated 180
          sy = h - 1 - y;
          sx = w - 1 - x;
          break;
        case 4: // mirrored vertically
          sy = h - 1 - y;
          sx = x;
          break;
        case 5: // transposed
          sy = x;
          sx = y;
          break;
        case 6: // stored rotated 90 CCW: show rotated 90 CW
          sy = h - 1 - x;
          sx = y;
          break;
        case 7: // transversed
          sy = h - 1 - x;
          sx = w - 1 - y;
          break;
        default: // 8: stored rotated 90 CW: show rotated 90 CCW
          sy = x;
          sx = w - 1 - y;
          break;
      }
      const s = (sy * w + sx) * 3;
      const d = (y * ow + x) * 3;
      out[d] = data[s];
      out[d + 1] = data[s + 1];
      out[d + 2] = data[s + 2];
    }
  }
  return { data: out, height: oh, width: ow, channels: 3 };
}
