import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { NpzWriteError } from '../src/errors';
import {
  buildNpyHeader,
  encodeNpz,
  float16ToFloat32,
  float32ToFloat16,
  numberToFloat16Bits,
  openNpz,
  writeNpz,
  type NpzWriteArray,
} from '../src/formats/npz/index';
import { openNpzFile, writeNpzFile } from '../src/formats/npz/node';
import { centralHeader, endRecords, localHeader } from '../src/formats/npz/write';
import { MemoryByteSource, MemorySink, type ByteSource } from '../src/io/index';
import { crc32Reference, halfToNumber, parseNpyReference, rng } from './helpers/npz-reference';

const fixtureDir = fileURLToPath(new URL('./fixtures/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'bit-npz-write-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const hasNumpy = (() => {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function randomArrays(seed: number): Array<{ name: string; shape: number[]; data: Float32Array }> {
  const r = rng(seed);
  const shapes = [[3, 3, 4, 8], [17], [], [0], [2, 0, 5], [5, 1, 7]];
  return shapes.map((shape, k) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = (r() - 0.5) * 10 ** Math.floor(r() * 6 - 3);
    return { name: `resnet/block${k}/unit01/a/standardized_conv2d/kernel`, shape, data };
  });
}

/** Zip structure as seen by a hand-written walk over local headers and the central directory. */
function walkZip(bytes: Uint8Array) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = bytes.length - 22;
  expect(v.getUint32(eocd, true)).toBe(0x06054b50);
  const count = v.getUint16(eocd + 10, true);
  let p = v.getUint32(eocd + 16, true);
  const members = [];
  for (let i = 0; i < count; i++) {
    expect(v.getUint32(p, true)).toBe(0x02014b50);
    const nameLength = v.getUint16(p + 28, true);
    const extraLength = v.getUint16(p + 30, true);
    const offset = v.getUint32(p + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLength));
    const crc = v.getUint32(p + 16, true);
    const csize = v.getUint32(p + 20, true);
    const usize = v.getUint32(p + 24, true);
    const method = v.getUint16(p + 10, true);
    // local header: zip64 extra with the real sizes, 0xFFFFFFFF in the header
    expect(v.getUint32(offset, true)).toBe(0x04034b50);
    expect(v.getUint16(offset + 4, true)).toBe(45);
    expect(v.getUint32(offset + 14, true)).toBe(crc);
    expect(v.getUint32(offset + 18, true)).toBe(0xffffffff);
    expect(v.getUint32(offset + 22, true)).toBe(0xffffffff);
    const lName = v.getUint16(offset + 26, true);
    expect(v.getUint16(offset + 28, true)).toBe(20);
    const x = offset + 30 + lName;
    expect(v.getUint16(x, true)).toBe(1);
    expect(v.getUint16(x + 2, true)).toBe(16);
    expect(Number(v.getBigUint64(x + 4, true))).toBe(usize);
    expect(Number(v.getBigUint64(x + 12, true))).toBe(csize);
    const data = bytes.subarray(x + 20, x + 20 + csize);
    members.push({ name, crc, csize, usize, method, data });
    p += 46 + nameLength + extraLength;
  }
  return members;
}

describe('writeNpz: numpy savez compatibility', () => {
  for (const fixture of ['bit-tiny', 'bit-features']) {
    it(`re-writing ${fixture}/weights.npz (stored float32) reproduces numpy's file byte for byte`, async () => {
      const original = new Uint8Array(readFileSync(`${fixtureDir}${fixture}/weights.npz`));
      const archive = await openNpz(new MemoryByteSource(original));
      const arrays: NpzWriteArray[] = [];
      for await (const a of archive) arrays.push(a);
      const ours = await encodeNpz(arrays);
      expect(ours.length).toBe(original.length);
      expect(Buffer.compare(Buffer.from(ours), Buffer.from(original))).toBe(0);
    });
  }

  it('re-writing bit-odd-f16 (deflated float16) gives the same members, payloads and CRCs', async () => {
    const original = new Uint8Array(readFileSync(`${fixtureDir}bit-odd-f16/weights.npz`));
    const archive = await openNpz(new MemoryByteSource(original));
    const ours = await encodeNpz(
      (async function* () {
        for await (const a of archive) yield { ...a, dtype: 'float16' as const };
      })(),
      { compress: true },
    );
    const theirs = walkZip(original);
    const mine = walkZip(ours);
    expect(mine.map((m) => m.name)).toEqual(theirs.map((m) => m.name));
    const theirPayloads = unzipSync(original);
    const myPayloads = unzipSync(ours);
    for (let i = 0; i < mine.length; i++) {
      expect(mine[i].method).toBe(8);
      expect(mine[i].crc).toBe(theirs[i].crc);
      expect(mine[i].usize).toBe(theirs[i].usize);
      expect(
        Buffer.compare(
          Buffer.from(myPayloads[mine[i].name]),
          Buffer.from(theirPayloads[mine[i].name]),
        ),
      ).toBe(0);
    }
  });

  it('.npy headers are numpy-exact and 64-byte aligned', () => {
    for (const shape of [[], [3], [7, 7, 3, 32], [0], [123456789, 2]]) {
      const h = buildNpyHeader('float32', shape);
      expect(h.length % 64).toBe(0);
      expect(h[h.length - 1]).toBe(0x0a);
      const text = new TextDecoder('latin1').decode(h.subarray(10));
      const shapeRepr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
      expect(
        text.startsWith(`{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeRepr}, }`),
      ).toBe(true);
    }
    // numpy's bytes for np.save(zeros((7,7,3,32), float32)): 118-byte dictionary
    const h = buildNpyHeader('float32', [7, 7, 3, 32]);
    expect(Array.from(h.subarray(0, 10))).toEqual([
      0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0x76, 0,
    ]);
  });
});

describe('writeNpz -> openNpz round trips', () => {
  for (const compress of [false, true]) {
    for (const dtype of ['float32', 'float16', 'float64'] as const) {
      it(`${compress ? 'deflated' : 'stored'} ${dtype}`, async () => {
        const arrays = randomArrays(compress ? 11 : 7).map((a) => ({ ...a, dtype }));
        const sink = new MemorySink(16);
        await writeNpz(arrays, sink, { compress, chunkSize: 1024 });
        const bytes = sink.bytes();
        const members = walkZip(bytes);
        expect(members.length).toBe(arrays.length);
        for (const m of members) {
          expect(m.method).toBe(compress ? 8 : 0);
          const payload = unzipSync(bytes)[m.name];
          expect(crc32Reference(payload)).toBe(m.crc);
          const ref = parseNpyReference(payload);
          expect(ref.headerLength % 64).toBe(0);
        }
        const archive = await openNpz(new MemoryByteSource(bytes, 'roundtrip.npz'));
        for (const a of arrays) {
          const e = archive.entry(a.name)!;
          expect(e.dtype).toBe(dtype);
          expect(e.compressed).toBe(compress);
          const back = await archive.read(a.name);
          expect(back.shape).toEqual(a.shape);
          for (let i = 0; i < a.data.length; i++) {
            const expected =
              dtype === 'float16' ? halfToNumber(numberToFloat16Bits(a.data[i])) : a.data[i];
            if (back.data[i] !== Math.fround(expected)) throw new Error(`${a.name}[${i}]`);
          }
        }
      });
    }
  }

  it('float64 data is written as <f8 by default and read back exactly with readRaw', async () => {
    const data = new Float64Array([0.1, -1e-300, 1e300, Math.PI]);
    const bytes = await encodeNpz([{ name: 'x', shape: [2, 2], data }]);
    const archive = await openNpz(new MemoryByteSource(bytes));
    expect(archive.entries[0].descr).toBe('<f8');
    expect(Array.from((await archive.readRaw('x')).data)).toEqual(Array.from(data));
  });

  it('writes zip64 end records when there are more than 65535 members (as zipfile does)', async () => {
    const n = 65536 + 3;
    const empty = new Float32Array(0);
    const bytes = await encodeNpz(
      (function* () {
        for (let i = 0; i < n; i++) yield { name: `a${i}`, shape: [0], data: empty };
      })(),
    );
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const eocd = bytes.length - 22;
    expect(v.getUint16(eocd + 10, true)).toBe(0xffff);
    expect(v.getUint32(eocd - 20, true)).toBe(0x07064b50);
    const z64 = Number(v.getBigUint64(eocd - 12, true));
    expect(v.getUint32(z64, true)).toBe(0x06064b50);
    expect(Number(v.getBigUint64(z64 + 32, true))).toBe(n);
    const archive = await openNpz(new MemoryByteSource(bytes, 'many.npz'));
    expect(archive.entries.length).toBe(n);
    expect(archive.entries[n - 1].name).toBe(`a${n - 1}`);
  });
});

/** A virtual multi-GB file made of a few byte segments and zeros elsewhere. */
class SparseSource implements ByteSource {
  readonly name = 'sparse.npz';
  constructor(
    readonly size: number,
    private readonly segments: Array<{ offset: number; bytes: Uint8Array }>,
  ) {}
  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset + length > this.size) throw new Error('out of range');
    const out = new Uint8Array(length);
    for (const s of this.segments) {
      const start = Math.max(offset, s.offset);
      const end = Math.min(offset + length, s.offset + s.bytes.length);
      if (start < end) out.set(s.bytes.subarray(start - s.offset, end - s.offset), start - offset);
    }
    return out;
  }
}

describe('64-bit offsets and sizes (a virtual 4.4 GB archive)', () => {
  it('writer records and reader follows zip64 sizes, offsets and end records', async () => {
    const time = { time: 0, date: 0x21 };
    const enc = new TextEncoder();
    const bigName = enc.encode('big.npy');
    const bigHeader = buildNpyHeader('float32', [1_100_000_000]);
    const bigSize = bigHeader.length + 4_400_000_000;
    const bigLocal = localHeader(bigName, 0, 0, time, 0x12345678, bigSize, bigSize);
    const smallName = enc.encode('small.npy');
    const smallValues = new Float32Array([1.5, -2, 3.25]);
    const smallPayload = new Uint8Array([
      ...buildNpyHeader('float32', [3]),
      ...new Uint8Array(smallValues.buffer),
    ]);
    const smallOffset = bigLocal.length + bigSize;
    const smallCrc = crc32Reference(smallPayload);
    const smallLocal = localHeader(
      smallName,
      0,
      0,
      time,
      smallCrc,
      smallPayload.length,
      smallPayload.length,
    );
    const cdOffset = smallOffset + smallLocal.length + smallPayload.length;
    const cdA = centralHeader(
      {
        name: bigName,
        flags: 0,
        method: 0,
        crc: 0x12345678,
        compressedSize: bigSize,
        uncompressedSize: bigSize,
        offset: 0,
      },
      time,
    );
    const cdB = centralHeader(
      {
        name: smallName,
        flags: 0,
        method: 0,
        crc: smallCrc,
        compressedSize: smallPayload.length,
        uncompressedSize: smallPayload.length,
        offset: smallOffset,
      },
      time,
    );
    expect(cdA.length).toBe(46 + bigName.length + 4 + 16); // zip64 sizes
    expect(cdB.length).toBe(46 + smallName.length + 4 + 8); // zip64 offset
    const cdSize = cdA.length + cdB.length;
    const end = endRecords(2, cdSize, cdOffset);
    expect(end.length).toBe(56 + 20 + 22); // zip64 EOCD + locator + EOCD
    const source = new SparseSource(cdOffset + cdSize + end.length, [
      { offset: 0, bytes: new Uint8Array([...bigLocal, ...bigHeader]) },
      { offset: smallOffset, bytes: new Uint8Array([...smallLocal, ...smallPayload]) },
      { offset: cdOffset, bytes: new Uint8Array([...cdA, ...cdB, ...end]) },
    ]);
    expect(source.size).toBeGreaterThan(2 ** 32);
    const archive = await openNpz(source);
    expect(archive.entries.map((e) => [e.name, e.shape, e.compressedSize])).toEqual([
      ['big', [1_100_000_000], bigSize],
      ['small', [3], smallPayload.length],
    ]);
    expect(Array.from((await archive.read('small')).data)).toEqual(Array.from(smallValues));
  });
});

describe('float16 conversion', () => {
  it('round to nearest even: each result is the nearest float16, ties to the even one', () => {
    const r = rng(3);
    const bits = new Uint32Array(20000);
    for (let i = 0; i < bits.length; i++) bits[i] = Math.floor(r() * 2 ** 32);
    const specials = [
      0,
      -0,
      1,
      -1,
      65504,
      65519.99,
      65520,
      65536,
      1e-8,
      2 ** -24,
      2 ** -25,
      3 * 2 ** -26,
      2 ** -14,
      Infinity,
      -Infinity,
      1 + 2 ** -11,
      1 + 3 * 2 ** -11,
    ];
    const values = new Float32Array([...new Float32Array(bits.buffer), ...specials]);
    const halves = float32ToFloat16(values);
    for (let i = 0; i < values.length; i++) {
      const x = values[i];
      const h = halves[i];
      if (Number.isNaN(x)) {
        expect(h & 0x8000).toBe(
          new Uint32Array(new Float32Array([x]).buffer)[0] >>> 31 ? 0x8000 : 0,
        );
        expect(Number.isNaN(halfToNumber(h))).toBe(true);
        continue;
      }
      expect(numberToFloat16Bits(x)).toBe(h);
      const y = halfToNumber(h);
      if (!Number.isFinite(y)) {
        expect(Math.abs(x)).toBeGreaterThanOrEqual(65520);
        continue;
      }
      expect(Math.sign(y) === Math.sign(x) || y === 0).toBe(true);
      // neighbours in magnitude must not be closer; on a tie the mantissa must be even
      const mag = h & 0x7fff;
      for (const n of [mag - 1, mag + 1]) {
        if (n < 0 || n >= 0x7c00) continue;
        const d = Math.abs(Math.abs(x) - halfToNumber(n));
        const dh = Math.abs(Math.abs(x) - Math.abs(y));
        expect(dh <= d).toBe(true);
        if (dh === d) expect(mag % 2).toBe(0);
      }
    }
  });

  it('float16 -> float32 -> float16 is the identity on every non-NaN bit pattern', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = float32ToFloat16(float16ToFloat32(all));
    for (let i = 0; i < 65536; i++) {
      const isNaN = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
      if (!isNaN && back[i] !== i)
        throw new Error(`bits ${i.toString(16)} -> ${back[i].toString(16)}`);
      if (float16ToFloat32(new Uint16Array([i]))[0] !== Math.fround(halfToNumber(i)) && !isNaN) {
        throw new Error(`value of ${i}`);
      }
    }
  });

  it.skipIf(!hasNumpy)('matches numpy astype(float16) bit for bit', () => {
    const r = rng(9);
    const values = new Float32Array(5000);
    for (let i = 0; i < values.length; i++)
      values[i] = (r() - 0.5) * 2 ** Math.floor(r() * 40 - 28);
    const path = join(tmp, 'f32.bin');
    writeFileSync(path, values);
    const out = execFileSync('python3', [
      '-c',
      `import numpy as np,sys; a=np.fromfile(sys.argv[1],'<f4'); sys.stdout.write(a.astype(np.float16).view('<u2').tobytes().hex())`,
      path,
    ]).toString();
    const theirs = new Uint16Array(new Uint8Array(Buffer.from(out, 'hex')).buffer);
    expect(Array.from(float32ToFloat16(values))).toEqual(Array.from(theirs));
  });
});

describe('numpy cross-check (skipped without numpy)', () => {
  it.skipIf(!hasNumpy)(
    'numpy.load reads our stored and deflated files; zipfile finds no CRC error',
    async () => {
      const arrays = randomArrays(5);
      const cases = [
        { file: 'stored-f32.npz', compress: false, dtype: 'float32' as const },
        { file: 'deflated-f16.npz', compress: true, dtype: 'float16' as const },
        { file: 'stored-f64.npz', compress: false, dtype: 'float64' as const },
      ];
      for (const c of cases) {
        await writeNpzFile(
          join(tmp, c.file),
          arrays.map((a) => ({ ...a, dtype: c.dtype })),
          { compress: c.compress },
        );
      }
      const script = `
import json, sys, zipfile, numpy as np
out = {}
for f in sys.argv[1:]:
    assert zipfile.ZipFile(f).testzip() is None
    d = np.load(f)
    out[f] = {k: [str(d[k].dtype), list(d[k].shape), d[k].astype(np.float64).ravel().tolist()] for k in d.files}
print(json.dumps(out))`;
      const result = JSON.parse(
        execFileSync('python3', ['-c', script, ...cases.map((c) => join(tmp, c.file))]).toString(),
      );
      for (const c of cases) {
        const loaded = result[join(tmp, c.file)];
        expect(Object.keys(loaded)).toEqual(arrays.map((a) => a.name));
        for (const a of arrays) {
          const [dtype, shape, values] = loaded[a.name];
          expect(dtype).toBe(c.dtype);
          expect(shape).toEqual(a.shape);
          const expected = Array.from(a.data, (x) =>
            c.dtype === 'float16' ? halfToNumber(numberToFloat16Bits(x)) : x,
          );
          expect(values).toEqual(expected);
        }
      }
    },
  );
});

describe('FileSink / writeNpzFile', () => {
  it('writes atomically: the target appears only on success, a failed write leaves it untouched', async () => {
    const dir = mkdtempSync(join(tmp, 'sink-'));
    const target = join(dir, 'model.npz');
    const arrays = randomArrays(1);
    await writeNpzFile(target, arrays);
    expect(readdirSync(dir)).toEqual(['model.npz']);
    const archive = await openNpzFile(target);
    expect(archive.entries.length).toBe(arrays.length);
    await archive.close();
    const before = readFileSync(target);
    const bad = [arrays[0], { name: 'bad', shape: [2, 2], data: new Float32Array(3) }];
    await expect(writeNpzFile(target, bad)).rejects.toMatchObject({
      code: 'shape-mismatch',
      member: 'bad',
    });
    expect(readdirSync(dir)).toEqual(['model.npz']);
    expect(readFileSync(target).equals(before)).toBe(true);
    const fresh = join(dir, 'fresh.npz');
    await expect(writeNpzFile(fresh, bad)).rejects.toBeInstanceOf(NpzWriteError);
    expect(existsSync(fresh)).toBe(false);
  });
});

describe('writeNpz: refused input', () => {
  const ok = { name: 'a', shape: [2], data: new Float32Array(2) };
  const cases: Array<[string, NpzWriteArray[], string]> = [
    ['empty name', [{ ...ok, name: '' }], 'bad-name'],
    ['duplicate name', [ok, ok], 'duplicate-name'],
    ['negative dimension', [{ ...ok, shape: [-2] }], 'bad-shape'],
    ['fractional dimension', [{ ...ok, shape: [0.5, 4] }], 'bad-shape'],
    ['shape / data length mismatch', [{ ...ok, shape: [3] }], 'shape-mismatch'],
    ['unknown dtype', [{ ...ok, dtype: 'int8' as never }], 'unsupported-dtype'],
    ['non-float data', [{ ...ok, data: new Int32Array(2) as never }], 'unsupported-dtype'],
  ];
  for (const [what, arrays, code] of cases) {
    it(what, async () => {
      const error = await encodeNpz(arrays).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NpzWriteError);
      expect(error).toMatchObject({ code, name: 'NpzWriteError' });
      expect((error as Error).message).toContain(`"${arrays[arrays.length - 1].name}"`);
    });
  }
});
