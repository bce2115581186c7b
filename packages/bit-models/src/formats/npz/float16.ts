/**
 * IEEE 754 half precision (float16) <-> float32 conversion. float32 -> float16 rounds to
 * nearest, ties to even (as numpy's `astype(np.float16)`); overflow gives ±Infinity, NaN
 * stays NaN (quiet, sign kept).
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

let halfTable: Float32Array | undefined;

/** Exact float32 value of every float16 bit pattern (built once, 256 KiB). */
function getHalfTable(): Float32Array {
  if (halfTable !== undefined) return halfTable;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) table[h] = decodeHalf(h);
  halfTable = table;
  return table;
}

function decodeHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** The value of the float16 with bit pattern `bits` (0..65535). */
export function float16BitsToNumber(bits: number): number {
  return getHalfTable()[bits & 0xffff];
}

/** The float16 bit pattern nearest to the float32 with bit pattern `x` (ties to even). */
function float32BitsToHalf(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const a = x & 0x7fffffff;
  if (a >= 0x47800000) {
    // |x| >= 65536 or Inf: signed Inf. NaN: quiet NaN keeping the sign and the top of the
    // payload (as the F16C instruction and numpy do for quiet NaNs).
    return sign | (a > 0x7f800000 ? 0x7e00 | ((a & 0x7fffff) >>> 13) : 0x7c00);
  }
  if (a < 0x38800000) {
    // |x| < 2^-14: subnormal half (or zero). Adding 0.5 aligns the mantissa so that the
    // float32 addition performs the round-to-nearest-even.
    u32[0] = a;
    f32[0] = f32[0] + 0.5;
    return sign | (u32[0] - 0x3f000000);
  }
  const mantissaOdd = (a >>> 13) & 1;
  return sign | ((a + (((15 - 127) << 23) >>> 0) + 0xfff + mantissaOdd) >>> 13);
}

/** The float16 bit pattern nearest to `value` (any JS number; ties to even). */
export function numberToFloat16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  if (a >= 65520) return sign | 0x7c00; // halfway between 65504 and 65536 rounds to even = Inf
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24); // may round up to 0x400
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  let m = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | m;
}

function roundHalfEven(q: number): number {
  const floor = Math.floor(q);
  const diff = q - floor;
  if (diff > 0.5 || (diff === 0.5 && floor % 2 === 1)) return floor + 1;
  return floor;
}

/**
 * Converts float32 values to float16 bit patterns (round to nearest, ties to even).
 * @param src values.
 * @param dst output (default: a new Uint16Array of the same length).
 */
export function float32ToFloat16(
  src: Float32Array,
  dst = new Uint16Array(src.length),
): Uint16Array {
  if (dst.length < src.length) throw new RangeError('float32ToFloat16: dst is too short');
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  // Float32Array's byteOffset is always 4-aligned, so the Uint32Array view is valid.
  for (let i = 0; i < src.length; i++) dst[i] = float32BitsToHalf(bits[i]);
  return dst;
}

/**
 * Converts float16 bit patterns to float32 values (exact).
 * @param src float16 bit patterns.
 * @param dst output (default: a new Float32Array of the same length).
 */
export function float16ToFloat32(
  src: Uint16Array,
  dst = new Float32Array(src.length),
): Float32Array {
  if (dst.length < src.length) throw new RangeError('float16ToFloat32: dst is too short');
  const table = getHalfTable();
  for (let i = 0; i < src.length; i++) dst[i] = table[src[i]];
  return dst;
}

/** The float16 lookup table (index = bit pattern), for decoders. */
export function float16Table(): Float32Array {
  return getHalfTable();
}
