/**
 * A minimal protocol-buffers writer for the few ONNX messages the exporter writes (onnx.proto3:
 * ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto, AttributeProto,
 * OperatorSetIdProto). Messages are lists of byte chunks, so the large tensor payloads are
 * copied once, into the final buffer. Isomorphic.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED32 = 5;
const WIRE_BYTES = 2;

const encoder = new TextEncoder();

/** One protobuf message being written: fields are appended in order. */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private scratch: number[] = [];
  /** Bytes written so far. */
  length = 0;

  private flushScratch(): void {
    if (this.scratch.length === 0) return;
    this.parts.push(Uint8Array.from(this.scratch));
    this.length += this.scratch.length;
    this.scratch = [];
  }

  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    if (v < 0x80n) {
      this.scratch.push(Number(v));
      return;
    }
    while (v >= 0x80n) {
      this.scratch.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.scratch.push(Number(v));
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  private chunk(bytes: Uint8Array): void {
    this.flushScratch();
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  /** A varint field (int32, int64, enum), negative values as 64-bit two's complement. */
  int(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  /** A float (fixed32) field. */
  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    for (const x of b) this.scratch.push(x);
    return this;
  }

  /** A length-delimited bytes field. */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_BYTES);
    this.varint(value.length);
    if (value.length < 64) for (const x of value) this.scratch.push(x);
    else this.chunk(value);
    return this;
  }

  /** A string field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, encoder.encode(value));
  }

  /** A packed repeated varint field (int64 dims, ints attributes). */
  packedInts(field: number, values: readonly number[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    return this.message(field, inner);
  }

  /** An embedded message field. */
  message(field: number, inner: ProtoWriter): this {
    inner.flushScratch();
    this.tag(field, WIRE_BYTES);
    this.varint(inner.length);
    this.flushScratch();
    for (const p of inner.parts) this.parts.push(p);
    this.length += inner.length;
    return this;
  }

  /** The message's bytes, in one buffer. */
  finish(): Uint8Array {
    this.flushScratch();
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}
