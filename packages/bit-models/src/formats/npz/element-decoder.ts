/**
 * Streams .npy array data (any chunking) straight into its final, preallocated typed array,
 * converting dtype and byte order on the way.
 */
import { float16Table } from './float16';
import type { NpyDtype } from './npy-header';

/** Host byte order: true on every platform tfjs runs on, but checked anyway. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Output of a decoder. */
export type DecodedData = Float32Array | Uint16Array | Float64Array;

/** Writes incoming bytes of `count` elements of `dtype` into a typed array. */
export class ElementDecoder {
  /** The output array (filled as bytes arrive). */
  readonly out: DecodedData;
  private readonly outBytes: Uint8Array;
  private readonly direct: boolean;
  private readonly itemSize: number;
  private readonly little: boolean;
  private readonly convert: (view: DataView, offset: number) => number;
  private readonly carry = new Uint8Array(8);
  private readonly carryView = new DataView(this.carry.buffer);
  private carryLength = 0;
  private byteIndex = 0;
  private index = 0;

  /**
   * @param dtype stored element type.
   * @param bigEndian stored byte order.
   * @param count number of elements.
   * @param raw keep the stored type (float16 as Uint16Array bits) instead of float32.
   */
  constructor(dtype: NpyDtype, bigEndian: boolean, count: number, raw: boolean) {
    this.little = !bigEndian;
    this.itemSize = dtype === 'float16' ? 2 : dtype === 'float32' ? 4 : 8;
    const little = this.little;
    if (raw && dtype === 'float16') {
      this.out = new Uint16Array(count);
      this.convert = (v, o) => v.getUint16(o, little);
    } else if (raw && dtype === 'float64') {
      this.out = new Float64Array(count);
      this.convert = (v, o) => v.getFloat64(o, little);
    } else {
      this.out = new Float32Array(count);
      if (dtype === 'float16') {
        const table = float16Table();
        this.convert = (v, o) => table[v.getUint16(o, little)];
      } else if (dtype === 'float32') {
        this.convert = (v, o) => v.getFloat32(o, little);
      } else {
        this.convert = (v, o) => v.getFloat64(o, little);
      }
    }
    this.outBytes = new Uint8Array(this.out.buffer, this.out.byteOffset, this.out.byteLength);
    const sameType = raw || dtype === 'float32';
    this.direct = sameType && this.little === HOST_LITTLE_ENDIAN;
  }

  /** Consumes the next bytes of array data. The caller never passes more than the total. */
  push(chunk: Uint8Array): void {
    if (this.direct) {
      this.outBytes.set(chunk, this.byteIndex);
      this.byteIndex += chunk.length;
      return;
    }
    const size = this.itemSize;
    const out = this.out;
    let p = 0;
    if (this.carryLength > 0) {
      const need = Math.min(size - this.carryLength, chunk.length);
      this.carry.set(chunk.subarray(0, need), this.carryLength);
      this.carryLength += need;
      p = need;
      if (this.carryLength < size) return;
      out[this.index++] = this.convert(this.carryView, 0);
      this.carryLength = 0;
    }
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const end = p + Math.floor((chunk.length - p) / size) * size;
    const convert = this.convert;
    let index = this.index;
    for (; p < end; p += size) out[index++] = convert(view, p);
    this.index = index;
    if (p < chunk.length) {
      this.carry.set(chunk.subarray(p), 0);
      this.carryLength = chunk.length - p;
    }
  }
}
