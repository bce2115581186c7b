/**
 * Plain loops over the wasm heap that let a convolution or its gradients run as one XNNPACK
 * matrix product whose packed operand is activation-sized, never weight-sized: tfjs-wasm packs the B
 * operand of a product (and the filter of a convolution) afresh whenever that tensor is new,
 * at about 9-28 ns a value, and in a training step every kernel is new. The layout of the
 * "columns" matrix of a convolution is `[K, P]`: one row per filter tap and input channel
 * (K = kh·kw·Cin, the order of an HWIO filter's leading axes), one column per output position
 * (P = N·oh·ow), so that the HWIO filter, read as `[K, Cout]`, multiplies it without a copy.
 */
import { columnsShape, type ConvInfo } from './conv-info';

/** Side of the square tiles of {@link transposeInto}. */
const TILE = 32;

/**
 * out[dstOffset + c·rows + r] = src[srcOffset + r·cols + c]: a rows×cols block transposed, in
 * tiles so that reads and writes stay in cache (a plain loop writes with stride `rows` and
 * costs ~10 ns a value at weight sizes).
 */
export function transposeInto(
  src: Float32Array,
  srcOffset: number,
  rows: number,
  cols: number,
  out: Float32Array,
  dstOffset: number,
): void {
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let r = r0; r < r1; r++) {
        const row = srcOffset + r * cols;
        for (let c = c0; c < c1; c++) out[dstOffset + c * rows + r] = src[row + c];
      }
    }
  }
}

/**
 * Calls `visit(tap, p, at)` for every filter tap (ky·kw + kx), output position p and the offset
 * `at` of the input pixel the tap reads there (-1 where it reads padding).
 */
function forEachTapPosition(
  info: ConvInfo,
  visit: (tap: number, p: number, at: number) => void,
): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin } = info;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  for (let ky = 0; ky < info.filterHeight; ky++) {
    for (let kx = 0; kx < info.filterWidth; kx++) {
      const tap = ky * info.filterWidth + kx;
      let p = 0;
      for (let b = 0; b < n; b++) {
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * sh - top + ky;
          const rowInside = iy >= 0 && iy < h;
          for (let ox = 0; ox < ow; ox++, p++) {
            const ix = ox * sw - left + kx;
            visit(tap, p, rowInside && ix >= 0 && ix < w ? ((b * h + iy) * w + ix) * cin : -1);
          }
        }
      }
    }
  }
}

/** Output rows shorter than this are copied value by value (faster there) rather than with `set`. */
const SHORT_ROW = 32;

/**
 * Fills `cols` ([K, P]) with the columns of input `x` (NHWC) under the convolution `info`.
 * For a k×k filter (k > 1) each row of `cols` (one tap, one input channel) is written front to
 * back from a channel-major copy of x ({@link im2colByChannel}); a 1x1 filter reads each input
 * pixel once, so its rows are filled pixel by pixel instead ({@link im2colByPixel}), which
 * spares the transpose of pixels a stride skips (1x1 stride-2 projections ran 1.1-1.6x slower
 * by channel). By channel, against by pixel for every filter: 2.4x faster for a 3x3 filter at
 * 32x32 px and 64 channels, 2.1x at stride 2 (measured on R50x1's shapes at batch 4).
 */
export function im2colTransposed(x: Float32Array, cols: Float32Array, info: ConvInfo): void {
  if (info.filterHeight === 1 && info.filterWidth === 1) im2colByPixel(x, cols, info);
  else im2colByChannel(x, cols, info);
}

/** {@link im2colTransposed} one input pixel at a time: `Cin` writes with stride P each. */
export function im2colByPixel(x: Float32Array, cols: Float32Array, info: ConvInfo): void {
  const cin = info.inChannels;
  const { positions } = columnsShape(info);
  forEachTapPosition(info, (tap, p, at) => {
    let dst = tap * cin * positions + p;
    if (at < 0) {
      for (let c = 0; c < cin; c++, dst += positions) cols[dst] = 0;
    } else {
      for (let c = 0; c < cin; c++, dst += positions) cols[dst] = x[at + c];
    }
  });
}

/**
 * {@link im2colTransposed} one row of `cols` at a time, front to back: x is first transposed
 * to channel-major `[Cin, N·H·W]` (tiled), so that at stride 1 a row is a run of contiguous
 * copies, one per output row.
 */
export function im2colByChannel(x: Float32Array, cols: Float32Array, info: ConvInfo): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin } = info;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const plane = h * w;
  const xt = new Float32Array(n * plane * cin);
  transposeInto(x, 0, n * plane, cin, xt, 0);
  let dst = 0;
  for (let ky = 0; ky < info.filterHeight; ky++) {
    for (let kx = 0; kx < info.filterWidth; kx++) {
      // Output columns whose input column ox·sw − left + kx lies inside the image: [lo, hi).
      const lo = Math.min(ow, Math.max(0, Math.ceil((left - kx) / sw)));
      const hi = Math.max(lo, Math.min(ow, Math.floor((w - 1 + left - kx) / sw) + 1));
      const count = hi - lo;
      for (let c = 0; c < cin; c++) {
        const channel = c * n * plane;
        for (let b = 0; b < n; b++) {
          for (let oy = 0; oy < oh; oy++, dst += ow) {
            const iy = oy * sh - top + ky;
            if (iy < 0 || iy >= h || count === 0) {
              cols.fill(0, dst, dst + ow);
              continue;
            }
            if (lo > 0) cols.fill(0, dst, dst + lo);
            let from = channel + b * plane + iy * w + lo * sw - left + kx;
            if (sw === 1 && count >= SHORT_ROW) {
              cols.set(xt.subarray(from, from + count), dst + lo);
            } else {
              for (let ox = dst + lo, end = dst + hi; ox < end; ox++, from += sw)
                cols[ox] = xt[from];
            }
            if (hi < ow) cols.fill(0, dst + hi, dst + ow);
          }
        }
      }
    }
  }
}

/**
 * The adjoint of {@link im2colTransposed}: sums the column gradients `cols` ([K, P]) into
 * `dx` (NHWC, overwritten), each where its tap read the input.
 */
export function col2imTransposed(cols: Float32Array, dx: Float32Array, info: ConvInfo): void {
  const cin = info.inChannels;
  const { positions } = columnsShape(info);
  dx.fill(0);
  forEachTapPosition(info, (tap, p, at) => {
    if (at < 0) return;
    let src = tap * cin * positions + p;
    for (let c = 0; c < cin; c++, src += positions) dx[at + c] += cols[src];
  });
}

/**
 * Fills `cols` ([P, K]: one row per output position, the taps' input channels along it) with
 * the columns of input `x` (NHWC) under the convolution `info`: the left operand of a forward
 * convolution as a product with the HWIO filter read as `[K, Cout]`.
 */
export function im2col(x: Float32Array, cols: Float32Array, info: ConvInfo): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin } = info;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const { filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;
  let dst = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - top + ky;
          for (let kx = 0; kx < kw; kx++, dst += cin) {
            const ix = ox * sw - left + kx;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) cols.fill(0, dst, dst + cin);
            else {
              const at = ((b * h + iy) * w + ix) * cin;
              cols.set(x.subarray(at, at + cin), dst);
            }
          }
        }
      }
    }
  }
}
