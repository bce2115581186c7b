/** Cropping and horizontal flipping of HWC images on typed arrays. */
import { DataArgumentError } from '../errors';

/** An HWC typed array image with any channel count. */
export interface HwcImage<T extends Uint8Array | Float32Array> {
  readonly data: T;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

function like<T extends Uint8Array | Float32Array>(data: T, length: number): T {
  return (data instanceof Float32Array ? new Float32Array(length) : new Uint8Array(length)) as T;
}

/** Copies the `height x width` window at (`top`, `left`) out of `image`. */
export function crop<T extends Uint8Array | Float32Array>(
  image: HwcImage<T>,
  top: number,
  left: number,
  height: number,
  width: number,
): HwcImage<T> {
  const { data, height: h, width: w, channels: c } = image;
  if (
    !Number.isInteger(top) ||
    !Number.isInteger(left) ||
    top < 0 ||
    left < 0 ||
    height <= 0 ||
    width <= 0 ||
    top + height > h ||
    left + width > w
  ) {
    throw new DataArgumentError(
      `crop: window ${height}x${width} at (${top}, ${left}) is outside the ${h}x${w} image`,
    );
  }
  const out = like(data, height * width * c);
  for (let y = 0; y < height; y++) {
    const s = ((top + y) * w + left) * c;
    out.set(data.subarray(s, s + width * c), y * width * c);
  }
  return { data: out, height, width, channels: c };
}

/** Mirrors an image left-right: output (y, x) = input (y, width - 1 - x). */
export function flipLeftRight<T extends Uint8Array | Float32Array>(
  image: HwcImage<T>,
): HwcImage<T> {
  const { data, height: h, width: w, channels: c } = image;
  const out = like(data, data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + (w - 1 - x)) * c;
      const d = (y * w + x) * c;
      for (let k = 0; k < c; k++) out[d + k] = data[s + k];
    }
  }
  return { data: out, height: h, width: w, channels: c };
}
