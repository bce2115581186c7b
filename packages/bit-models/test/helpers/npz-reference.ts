/**
 * Test helpers for the .npz layer, independent of the implementation under test: a tiny
 * zip builder (to craft valid and hostile archives byte by byte), a .npy builder and parser,
 * a bitwise CRC-32, a ByteSource that counts reads, and a local HTTP server with Range.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deflateSync } from 'fflate';
import type { ByteSource } from '../../src/io/byte-source';
import { seeded } from '../../../../test-utils/seeded';

/** Bitwise CRC-32 (slow, obviously correct). */
export function crc32Reference(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    crc ^= bytes[i];
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** float16 bits -> number by the IEEE formula. */
export function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * Math.pow(2, -24);
  if (e === 31) return m ? NaN : s * Infinity;
  return s * Math.pow(2, e - 15) * (1 + m / 1024);
}

/** A parsed .npy (reference parser): values as float64. */
export interface ReferenceNpy {
  descr: string;
  shape: number[];
  values: Float64Array;
  /** Raw bit patterns for float16 arrays. */
  halfBits?: Uint16Array;
  headerLength: number;
}

/** Parses a little-endian float .npy with a regex (reference for the tests). */
export function parseNpyReference(bytes: Uint8Array): ReferenceNpy {
  const major = bytes[6];
  const hlen =
    major === 1
      ? bytes[8] | (bytes[9] << 8)
      : bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (bytes[11] << 24);
  const start = major === 1 ? 10 : 12;
  const text = new TextDecoder('latin1').decode(bytes.subarray(start, start + hlen));
  const descr = /'descr':\s*'([^']+)'/.exec(text)![1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(text)![1];
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + hlen;
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart, bytes.length - dataStart);
  const values = new Float64Array(n);
  let halfBits: Uint16Array | undefined;
  if (descr === '<f4') for (let i = 0; i < n; i++) values[i] = view.getFloat32(i * 4, true);
  else if (descr === '<f8') for (let i = 0; i < n; i++) values[i] = view.getFloat64(i * 8, true);
  else if (descr === '<f2') {
    halfBits = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      halfBits[i] = view.getUint16(i * 2, true);
      values[i] = halfToNumber(halfBits[i]);
    }
  } else throw new Error(`reference parser: unsupported descr ${descr}`);
  return { descr, shape, values, halfBits, headerLength: dataStart };
}

/** Builds .npy bytes with a hand-written header (v1.0, padded to 64 with spaces + '\n'). */
export function npyBytes(headerDict: string, data: Uint8Array, version = 1): Uint8Array {
  const fieldBytes = version === 1 ? 2 : 4;
  let dict = headerDict;
  while ((6 + 2 + fieldBytes + dict.length + 1) % 64 !== 0) dict += ' ';
  dict += '\n';
  const out = new Uint8Array(8 + fieldBytes + dict.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0], 0);
  out[8] = dict.length & 0xff;
  out[9] = (dict.length >> 8) & 0xff;
  for (let i = 0; i < dict.length; i++) out[8 + fieldBytes + i] = dict.charCodeAt(i);
  out.set(data, 8 + fieldBytes + dict.length);
  return out;
}

/** Little-endian float32 bytes of `values`. */
export function f32Bytes(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const v = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) v.setFloat32(i * 4, values[i], true);
  return out;
}

/** A valid float32 .npy of shape [n]. */
export function simpleNpy(values: ArrayLike<number>): Uint8Array {
  return npyBytes(
    `{'descr': '<f4', 'fortran_order': False, 'shape': (${values.length},), }`,
    f32Bytes(values),
  );
}

/** One member of a hand-built zip; every field can be falsified. */
export interface ZipMemberSpec {
  name: string;
  payload: Uint8Array;
  method?: number; // 0 stored (default), 8 deflated, anything else: payload stored as is
  compressed?: Uint8Array; // replaces the compressed bytes
  crc?: number;
  usize?: number;
  csize?: number;
  flags?: number;
  localName?: string;
  localMethod?: number;
  localOffset?: number; // central directory's claim
}

/** End-record options of a hand-built zip. */
export interface ZipEndSpec {
  zip64?: boolean;
  entries?: number;
  cdOffset?: number;
  cdSize?: number;
  zip64Offset?: number;
}

/** Builds a zip like numpy's savez (zip64 local extras), with optional falsifications. */
export function makeZip(members: ZipMemberSpec[], end: ZipEndSpec = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const enc = new TextEncoder();
  for (const m of members) {
    const method = m.method ?? 0;
    const data = m.compressed ?? (method === 8 ? deflateSync(m.payload) : m.payload);
    const crc = m.crc ?? crc32Reference(m.payload);
    const usize = m.usize ?? m.payload.length;
    const csize = m.csize ?? data.length;
    const name = enc.encode(m.name);
    const localName = enc.encode(m.localName ?? m.name);
    const local = new Uint8Array(30 + localName.length + 20);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 45, true);
    lv.setUint16(6, m.flags ?? 0, true);
    lv.setUint16(8, m.localMethod ?? method, true);
    lv.setUint16(12, 0x21, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, 0xffffffff, true);
    lv.setUint32(22, 0xffffffff, true);
    lv.setUint16(26, localName.length, true);
    lv.setUint16(28, 20, true);
    local.set(localName, 30);
    lv.setUint16(30 + localName.length, 1, true);
    lv.setUint16(32 + localName.length, 16, true);
    lv.setBigUint64(34 + localName.length, BigInt(usize), true);
    lv.setBigUint64(42 + localName.length, BigInt(csize), true);
    const big = usize >= 0xffffffff || csize >= 0xffffffff;
    const cd = new Uint8Array(46 + name.length + (big ? 20 : 0));
    const cv = new DataView(cd.buffer);
    if (big) {
      cv.setUint16(30, 20, true);
      cv.setUint16(46 + name.length, 1, true);
      cv.setUint16(48 + name.length, 16, true);
      cv.setBigUint64(50 + name.length, BigInt(usize), true);
      cv.setBigUint64(58 + name.length, BigInt(csize), true);
    }
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 0x032d, true);
    cv.setUint16(6, 45, true);
    cv.setUint16(8, m.flags ?? 0, true);
    cv.setUint16(10, method, true);
    cv.setUint16(14, 0x21, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, big ? 0xffffffff : csize, true);
    cv.setUint32(24, big ? 0xffffffff : usize, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(38, 0o600 << 16, true);
    cv.setUint32(42, m.localOffset ?? offset, true);
    cd.set(name, 46);
    central.push(cd);
    parts.push(local, data);
    offset += local.length + data.length;
  }
  const cdOffset = offset;
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  parts.push(...central);
  offset += cdSize;
  const count = end.entries ?? members.length;
  if (end.zip64) {
    const z = new Uint8Array(56 + 20);
    const zv = new DataView(z.buffer);
    zv.setUint32(0, 0x06064b50, true);
    zv.setBigUint64(4, 44n, true);
    zv.setUint16(12, 45, true);
    zv.setUint16(14, 45, true);
    zv.setBigUint64(24, BigInt(count), true);
    zv.setBigUint64(32, BigInt(count), true);
    zv.setBigUint64(40, BigInt(end.cdSize ?? cdSize), true);
    zv.setBigUint64(48, BigInt(end.cdOffset ?? cdOffset), true);
    zv.setUint32(56, 0x07064b50, true);
    zv.setBigUint64(64, BigInt(end.zip64Offset ?? offset), true);
    zv.setUint32(72, 1, true);
    parts.push(z);
  }
  const e = new Uint8Array(22);
  const ev = new DataView(e.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, end.zip64 ? 0xffff : count, true);
  ev.setUint16(10, end.zip64 ? 0xffff : count, true);
  ev.setUint32(12, end.zip64 ? 0xffffffff : (end.cdSize ?? cdSize), true);
  ev.setUint32(16, end.zip64 ? 0xffffffff : (end.cdOffset ?? cdOffset), true);
  parts.push(e);
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Wraps a ByteSource and records every read. */
export class CountingSource implements ByteSource {
  readonly reads: Array<{ offset: number; length: number }> = [];
  constructor(private readonly inner: ByteSource) {}
  get size(): number {
    return this.inner.size;
  }
  get name(): string {
    return this.inner.name;
  }
  get totalBytes(): number {
    return this.reads.reduce((a, r) => a + r.length, 0);
  }
  get maxRead(): number {
    return this.reads.reduce((a, r) => Math.max(a, r.length), 0);
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    this.reads.push({ offset, length });
    return this.inner.read(offset, length);
  }
}

/** A local HTTP server for `bytes`, honouring single Range requests unless told not to. */
export async function serveBytes(
  bytes: Uint8Array,
  options: { honourRange?: boolean } = {},
): Promise<{ url: string; server: Server; requests: string[]; close(): Promise<void> }> {
  const honour = options.honourRange ?? true;
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const range = req.headers.range;
    requests.push(`${req.method} ${range ?? '-'}`);
    const m = range === undefined ? null : /^bytes=(\d+)-(\d*)$/.exec(range);
    if (!honour || m === null) {
      res.writeHead(200, {
        'Content-Length': bytes.length,
        'Content-Type': 'application/octet-stream',
      });
      res.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
      return;
    }
    const start = Number(m[1]);
    const end = m[2] === '' ? bytes.length - 1 : Math.min(Number(m[2]), bytes.length - 1);
    if (start >= bytes.length) {
      res.writeHead(416, { 'Content-Range': `bytes */${bytes.length}` });
      res.end();
      return;
    }
    const body = bytes.subarray(start, end + 1);
    res.writeHead(206, {
      'Content-Length': body.length,
      'Content-Range': `bytes ${start}-${end}/${bytes.length}`,
      'Accept-Ranges': 'bytes',
    });
    res.end(Buffer.from(body.buffer, body.byteOffset, body.length));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/weights.npz`,
    server,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** Deterministic pseudo-random numbers (mulberry32). */
export function rng(seed: number): () => number {
  return seeded(seed);
}
