import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { openNpz, type NpzArchive } from '../src/formats/npz/index';
import { openNpzFile } from '../src/formats/npz/node';
import { BlobByteSource, HttpRangeByteSource, MemoryByteSource } from '../src/io/index';
import { FileByteSource } from '../src/io/node';
import {
  CountingSource,
  f32Bytes,
  makeZip,
  npyBytes,
  parseNpyReference,
  serveBytes,
  simpleNpy,
  type ReferenceNpy,
} from './helpers/npz-reference';

const fixtureDir = fileURLToPath(new URL('./fixtures/', import.meta.url));
const FIXTURES = ['bit-tiny', 'bit-odd-f16', 'bit-features'];
const FILES = ['weights.npz', 'expected.npz'];

function referenceArrays(bytes: Uint8Array): Map<string, ReferenceNpy> {
  const out = new Map<string, ReferenceNpy>();
  for (const [name, data] of Object.entries(unzipSync(bytes))) {
    out.set(name.replace(/\.npy$/, ''), parseNpyReference(data));
  }
  return out;
}

function expectSameAsReference(archive: NpzArchive, ref: Map<string, ReferenceNpy>): Promise<void> {
  return (async () => {
    expect(archive.entries.map((e) => e.name).sort()).toEqual([...ref.keys()].sort());
    for (const entry of archive.entries) {
      const r = ref.get(entry.name)!;
      expect(entry.shape).toEqual(r.shape);
      expect(entry.descr).toBe(r.descr);
      const array = await archive.read(entry.name);
      expect(array.shape).toEqual(r.shape);
      expect(array.data).toBeInstanceOf(Float32Array);
      expect(array.data.length).toBe(r.values.length);
      for (let i = 0; i < r.values.length; i++) {
        if (array.data[i] !== Math.fround(r.values[i])) {
          throw new Error(`${entry.name}[${i}]: ${array.data[i]} != ${Math.fround(r.values[i])}`);
        }
      }
    }
  })();
}

describe('openNpz on the numpy-written fixtures', () => {
  for (const fixture of FIXTURES) {
    for (const file of FILES) {
      it(`${fixture}/${file}: names, shapes, dtypes and every value match an independent reader`, async () => {
        const bytes = new Uint8Array(readFileSync(`${fixtureDir}${fixture}/${file}`));
        const spec = JSON.parse(readFileSync(`${fixtureDir}${fixture}/spec.json`, 'utf8'));
        const archive = await openNpz(new MemoryByteSource(bytes, `${fixture}/${file}`));
        const ref = referenceArrays(bytes);
        await expectSameAsReference(archive, ref);
        if (file === 'weights.npz') {
          for (const e of archive.entries) {
            expect(e.dtype).toBe(spec.dtype);
            expect(e.compressed).toBe(spec.compressed);
          }
          const params = archive.entries.reduce((a, e) => a + e.size, 0);
          expect(params).toBe(spec.params);
          expect(archive.has('resnet/root_block/standardized_conv2d/kernel')).toBe(true);
          expect(archive.entry('resnet/root_block/standardized_conv2d/kernel.npy')?.shape).toEqual([
            7,
            7,
            3,
            spec.root_channels,
          ]);
        } else {
          expect(archive.entries.every((e) => e.dtype === 'float64')).toBe(true);
        }
      });
    }
  }

  it('readRaw keeps float16 bit patterns and float64 values exactly', async () => {
    const f16 = new Uint8Array(readFileSync(`${fixtureDir}bit-odd-f16/weights.npz`));
    const ref16 = referenceArrays(f16);
    const a16 = await openNpz(new MemoryByteSource(f16));
    for (const e of a16.entries.slice(0, 6)) {
      const raw = await a16.readRaw(e.name);
      expect(raw.data).toBeInstanceOf(Uint16Array);
      expect(Array.from(raw.data)).toEqual(Array.from(ref16.get(e.name)!.halfBits!));
    }
    const f64 = new Uint8Array(readFileSync(`${fixtureDir}bit-tiny/expected.npz`));
    const ref64 = referenceArrays(f64);
    const a64 = await openNpz(new MemoryByteSource(f64));
    const raw = await a64.readRaw('logits');
    expect(raw.data).toBeInstanceOf(Float64Array);
    expect(Array.from(raw.data)).toEqual(Array.from(ref64.get('logits')!.values));
  });

  it('async iteration yields every array in archive order', async () => {
    const bytes = new Uint8Array(readFileSync(`${fixtureDir}bit-tiny/weights.npz`));
    const archive = await openNpz(new MemoryByteSource(bytes));
    const names: string[] = [];
    for await (const array of archive) names.push(array.name);
    expect(names).toEqual(archive.entries.map((e) => e.name));
    expect(names.length).toBe(Object.keys(unzipSync(bytes)).length);
  });
});

/** Reads every array and sums it in float64 (a fingerprint to compare sources). */
async function fingerprint(archive: NpzArchive): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for await (const array of archive) {
    let s = 0;
    for (let i = 0; i < array.data.length; i++) s += array.data[i] * ((i % 7) + 1);
    out[array.name] = s;
  }
  return out;
}

describe('openNpz through every byte source', () => {
  const path = `${fixtureDir}bit-odd-f16/weights.npz`;
  const bytes = new Uint8Array(readFileSync(path));

  it('MemoryByteSource, BlobByteSource, FileByteSource, openNpzFile and HttpRangeByteSource agree', async () => {
    const expected = await fingerprint(await openNpz(new MemoryByteSource(bytes)));
    expect(Object.keys(expected).length).toBe(63);

    const blob = new File([bytes], 'weights.npz');
    const fromBlob = await openNpz(new BlobByteSource(blob));
    expect(fromBlob.name).toBe('weights.npz');
    expect(await fingerprint(fromBlob)).toEqual(expected);

    const file = await FileByteSource.open(path);
    const fromFile = await openNpz(file, { chunkSize: 64 * 1024 });
    expect(await fingerprint(fromFile)).toEqual(expected);
    await fromFile.close();
    await expect(file.read(0, 4)).rejects.toMatchObject({ code: 'closed' });

    const opened = await openNpzFile(path);
    expect(opened.name).toBe(path);
    expect(await fingerprint(opened)).toEqual(expected);
    await opened.close();

    const server = await serveBytes(bytes);
    try {
      const http = await HttpRangeByteSource.open(server.url);
      expect(http.size).toBe(bytes.length);
      expect(http.wholeBody).toBe(false);
      const fromHttp = await openNpz(http);
      expect(await fingerprint(fromHttp)).toEqual(expected);
      expect(server.requests.every((r) => r.startsWith('GET bytes='))).toBe(true);
    } finally {
      await server.close();
    }
  });
});

function expectExactly(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  let mismatches = 0;
  for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) mismatches++;
  expect(mismatches).toBe(0);
}

describe('streaming: members are read in bounded chunks, never the whole file', () => {
  for (const compress of [false, true]) {
    it(`a ${compress ? 'deflated' : 'stored'} 8 MB member is read in <= 1 MiB reads, file read about once`, async () => {
      const n = 2 * 1024 * 1024; // 8 MiB of float32
      const values = new Float32Array(n);
      for (let i = 0; i < n; i++) values[i] = Math.sin(i * 0.001) * (i % 97);
      const { encodeNpz } = await import('../src/formats/npz/index');
      const bytes = await encodeNpz(
        [
          { name: 'big', shape: [1024, 2048], data: values },
          { name: 'small', shape: [3], data: new Float32Array([1, 2, 3]) },
        ],
        { compress, level: 1 },
      );
      const counting = new CountingSource(new MemoryByteSource(bytes, 'big.npz'));
      const chunk = 1024 * 1024;
      const archive = await openNpz(counting, { chunkSize: chunk });
      const openBytes = counting.totalBytes;
      expect(openBytes).toBeLessThan(100 * 1024); // end records, directory, headers only
      const big = await archive.read('big');
      expect(big.shape).toEqual([1024, 2048]);
      expectExactly(big.data, values);
      expect(counting.maxRead).toBeLessThanOrEqual(chunk);
      const memberBytes = archive.entry('big')!.compressedSize;
      expect(counting.totalBytes - openBytes).toBe(memberBytes);
      expect(counting.totalBytes).toBeLessThan(bytes.length + 100 * 1024);
    });
  }
});

describe('openNpz: format variants', () => {
  it('reads zip64 end records (zip64 EOCD record + locator)', async () => {
    const zip = makeZip([{ name: 'a.npy', payload: simpleNpy([1, 2, 3]) }], { zip64: true });
    const archive = await openNpz(new MemoryByteSource(zip, 'z64.npz'));
    expect(Array.from((await archive.read('a')).data)).toEqual([1, 2, 3]);
  });

  it('converts big-endian and float64 members to float32, reads .npy 2.0 and 3.0 headers', async () => {
    const be = new Uint8Array(8);
    new DataView(be.buffer).setFloat32(0, 1.5, false);
    new DataView(be.buffer).setFloat32(4, -2.25, false);
    const f8 = new Uint8Array(16);
    new DataView(f8.buffer).setFloat64(0, 0.1, true);
    new DataView(f8.buffer).setFloat64(8, 1e300, true);
    const f2 = new Uint8Array([0x00, 0x3c, 0x00, 0xc0]); // 1, -2
    const zip = makeZip([
      {
        name: 'be.npy',
        payload: npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", be),
      },
      {
        name: 'f8.npy',
        payload: npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }", f8),
        method: 8,
      },
      {
        name: 'v2.npy',
        payload: npyBytes("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", f2, 2),
      },
      {
        name: 'v3.npy',
        payload: npyBytes(
          "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
          f32Bytes([7]),
          3,
        ),
      },
      {
        name: 'empty.npy',
        payload: npyBytes(
          "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }",
          new Uint8Array(0),
        ),
      },
      { name: 'notes.txt', payload: new TextEncoder().encode('hello') },
    ]);
    const archive = await openNpz(new MemoryByteSource(zip, 'variants.npz'));
    expect(archive.otherMembers).toEqual(['notes.txt']);
    expect(Array.from((await archive.read('be')).data)).toEqual([1.5, -2.25]);
    const f8Array = await archive.read('f8');
    expect(f8Array.shape).toEqual([1, 2]);
    expect(Array.from(f8Array.data)).toEqual([Math.fround(0.1), Infinity]);
    expect(Array.from((await archive.readRaw('f8')).data)).toEqual([0.1, 1e300]);
    expect(Array.from((await archive.read('v2')).data)).toEqual([1, -2]);
    const scalar = await archive.read('v3');
    expect(scalar.shape).toEqual([]);
    expect(Array.from(scalar.data)).toEqual([7]);
    expect((await archive.read('empty')).data.length).toBe(0);
  });
});
