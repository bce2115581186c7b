/**
 * Bilinear resizing with the semantics of TF2's `tf.image.resize(..., method='bilinear')`
 * (antialias=False), which is what the official bit_tf2 input pipeline uses: half-pixel
 * centres (`src = (dst + 0.5) * in / out - 0.5`), neighbours clamped to the image, no
 * antialiasing when shrinking. Output is float32 in [0, 1] (the 8-bit value / 255).
 */
import { DataArgumentError } from '../errors';
import type { DecodedImage } from '../image';

/** A float32 RGB image in HWC layout (values in [0, 1] after the transforms here). */
export interface FloatImage {
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
  readonly channels: 3;
}

/** Interpolation taps for one axis: lower/upper source index and the weight of `upper`. */
export interface AxisTaps {
  readonly lower: Int32Array;
  readonly upper: Int32Array;
  readonly lerp: Float64Array;
}

/**
 * Taps for output positions `start .. start + count - 1` of an axis resized from `inSize` to
 * `outSize` with half-pixel centres (TF's HalfPixelScaler + compute_interpolation_weights).
 */
export function halfPixelTaps(
  inSize: number,
  outSize: number,
  start = 0,
  count = outSize,
): AxisTaps {
  const scale = inSize / outSize;
  const lower = new Int32Array(count);
  const upper = new Int32Array(count);
  const lerp = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const src = (start + i + 0.5) * scale - 0.5;
    const f = Math.floor(src);
    lower[i] = Math.max(f, 0);
    upper[i] = Math.min(Math.ceil(src), inSize - 1);
    lerp[i] = src - f;
  }
  return { lower, upper, lerp };
}

function checkSize(name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0)
    throw new DataArgumentError(`${name} must be a positive integer, got ${v}`);
}

/** Resizes an 8-bit image to `height x width` (half-pixel bilinear); float32 in [0, 1]. */
export function resizeBilinear(image: DecodedImage, height: number, width: number): FloatImage {
  checkSize('resizeBilinear: height', height);
  checkSize('resizeBilinear: width', width);
  const out = new Float32Array(height * width * 3);
  resizeWindowInto(image, height, width, 0, 0, height, width, false, out, 0);
  return { data: out, height, width, channels: 3 };
}

/**
 * Writes the window (`top`, `left`, `cropH` x `cropW`) of `image` resized to
 * `resizeH` x `resizeW`, optionally mirrored left-right, into `out` at `offset`, as
 * float32 in [0, 1]. Equal, pixel for pixel, to resize, then crop, then flip; but only the
 * kept pixels are computed.
 */
export function resizeWindowInto(
  image: DecodedImage,
  resizeH: number,
  resizeW: number,
  top: number,
  left: number,
  cropH: number,
  cropW: number,
  flip: boolean,
  out: Float32Array,
  offset: number,
): void {
  const { data, height: inH, width: inW } = image;
  if (data.length < inH * inW * 3) {
    throw new DataArgumentError(
      `resize: image data has ${data.length} bytes, expected ${inH * inW * 3}`,
    );
  }
  if (top < 0 || left < 0 || top + cropH > resizeH || left + cropW > resizeW) {
    throw new DataArgumentError(
      `resize: window ${cropH}x${cropW} at (${top}, ${left}) is outside the ${resizeH}x${resizeW} image`,
    );
  }
  if (offset + cropH * cropW * 3 > out.length) {
    throw new DataArgumentError(
      `resize: output buffer too small for ${cropH}x${cropW}x3 at offset ${offset}`,
    );
  }
  const ys = halfPixelTaps(inH, resizeH, top, cropH);
  const xs = halfPixelTaps(inW, resizeW, left, cropW);
  // Column taps in output order (mirrored when flipping), as byte offsets.
  const x0 = new Int32Array(cropW);
  const x1 = new Int32Array(cropW);
  const xl = new Float64Array(cropW);
  for (let x = 0; x < cropW; x++) {
    const k = flip ? cropW - 1 - x : x;
    x0[x] = xs.lower[k] * 3;
    x1[x] = xs.upper[k] * 3;
    xl[x] = xs.lerp[k];
  }
  const inv = 1 / 255;
  const row = inW * 3;
  let o = offset;
  for (let y = 0; y < cropH; y++) {
    const r0 = ys.lower[y] * row;
    const r1 = ys.upper[y] * row;
    const ly = ys.lerp[y];
    for (let x = 0; x < cropW; x++) {
      const a = x0[x];
      const b = x1[x];
      const lx = xl[x];
      for (let c = 0; c < 3; c++) {
        const tl = data[r0 + a + c];
        const tr = data[r0 + b + c];
        const bl = data[r1 + a + c];
        const br = data[r1 + b + c];
        const t = tl + (tr - tl) * lx;
        const btm = bl + (br - bl) * lx;
        out[o++] = (t + (btm - t) * ly) * inv;
      }
    }
  }
}
