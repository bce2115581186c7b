import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ByteSourceError } from '../src/errors';
import { encodeNpz, openNpz } from '../src/formats/npz/index';
import {
  BlobByteSource,
  HttpRangeByteSource,
  MemoryByteSource,
  MemorySink,
  type ByteSource,
} from '../src/io/index';
import { FileByteSource } from '../src/io/node';
import { rng, serveBytes } from './helpers/npz-reference';

const tmp = mkdtempSync(join(tmpdir(), 'bit-npz-sources-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const r = rng(42);
const bytes = new Uint8Array(100_000).map(() => Math.floor(r() * 256));

async function checkRandomReads(source: ByteSource): Promise<void> {
  expect(source.size).toBe(bytes.length);
  const pick = rng(7);
  for (let k = 0; k < 25; k++) {
    const offset = Math.floor(pick() * bytes.length);
    const length = Math.floor(pick() * (bytes.length - offset));
    const got = await source.read(offset, length);
    expect(got.length).toBe(length);
    expect(
      Buffer.compare(Buffer.from(got), Buffer.from(bytes.subarray(offset, offset + length))),
    ).toBe(0);
  }
  expect((await source.read(bytes.length, 0)).length).toBe(0);
  for (const [offset, length] of [
    [-1, 2],
    [bytes.length - 1, 2],
    [0.5, 1],
    [0, bytes.length + 1],
  ]) {
    const error = await source.read(offset, length).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ByteSourceError);
    expect(error).toMatchObject({ code: 'out-of-range', source: source.name });
  }
}

describe('byte sources deliver exact ranges and refuse bad ones', () => {
  it('MemoryByteSource', () => checkRandomReads(new MemoryByteSource(bytes, 'mem')));

  it('BlobByteSource (File name is used)', async () => {
    const source = new BlobByteSource(new File([bytes], 'picked.npz'));
    expect(source.name).toBe('picked.npz');
    expect(new BlobByteSource(new Blob([bytes])).name).toBe('blob');
    await checkRandomReads(source);
  });

  it('FileByteSource', async () => {
    const path = join(tmp, 'random.bin');
    writeFileSync(path, bytes);
    const source = await FileByteSource.open(path);
    expect(source.name).toBe(path);
    await checkRandomReads(source);
    await source.close();
    await source.close(); // idempotent
    await expect(source.read(0, 1)).rejects.toMatchObject({ code: 'closed' });
    await expect(FileByteSource.open(tmp)).rejects.toMatchObject({ code: 'unknown-size' });
  });

  it('HttpRangeByteSource against a Range-honouring server', async () => {
    const server = await serveBytes(bytes);
    try {
      const source = await HttpRangeByteSource.open(server.url);
      expect(source.wholeBody).toBe(false);
      expect(server.requests[0]).toBe('GET bytes=0-0');
      await checkRandomReads(source);
      expect(server.requests.every((q) => q.startsWith('GET bytes='))).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('HttpRangeByteSource: a server ignoring Range is served from memory only when small', async () => {
    const server = await serveBytes(bytes, { honourRange: false });
    try {
      const small = await HttpRangeByteSource.open(server.url);
      expect(small.wholeBody).toBe(true);
      await checkRandomReads(small);
      const refused = await HttpRangeByteSource.open(server.url, {
        maxWholeBodyBytes: 50_000,
      }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ByteSourceError);
      expect(refused).toMatchObject({ code: 'range-unsupported', source: server.url });
      expect((refused as Error).message).toContain(server.url);
    } finally {
      await server.close();
    }
  });

  it('HttpRangeByteSource: HTTP errors and unreachable servers are typed errors', async () => {
    const server = await serveBytes(bytes);
    const notFound = await HttpRangeByteSource.open(server.url, {
      fetch: async () => new Response('missing', { status: 404, statusText: 'Not Found' }),
    }).catch((e: unknown) => e);
    expect(notFound).toMatchObject({ code: 'http-status', name: 'ByteSourceError' });
    expect((notFound as Error).message).toContain('404');
    const url = server.url;
    await server.close();
    const down = await HttpRangeByteSource.open(url, { retries: 0 }).catch((e: unknown) => e);
    expect(down).toMatchObject({ code: 'http-status', source: url });
  });

  it('HttpRangeByteSource retries a 503 and then succeeds', async () => {
    const server = await serveBytes(bytes);
    try {
      let calls = 0;
      const flaky: typeof fetch = async (input, init) => {
        calls++;
        if (calls === 1) return new Response('busy', { status: 503 });
        return fetch(input, init);
      };
      const source = await HttpRangeByteSource.open(server.url, { fetch: flaky, retries: 1 });
      expect(source.size).toBe(bytes.length);
      expect(calls).toBe(2);
    } finally {
      await server.close();
    }
  });
});

describe('MemorySink', () => {
  it('collects writes in order, growing as needed, and copies chunks', async () => {
    const sink = new MemorySink(16);
    const chunk = new Uint8Array([1, 2, 3]);
    for (let i = 0; i < 100; i++) await sink.write(chunk);
    chunk[0] = 9; // later changes do not affect what was written
    await sink.close();
    expect(sink.byteLength).toBe(300);
    expect(Array.from(sink.bytes().subarray(0, 6))).toEqual([1, 2, 3, 1, 2, 3]);
    await expect(sink.write(chunk)).rejects.toThrow(/after close/);
  });
});

describe('openNpz over HTTP reads a checkpoint with Range requests only', () => {
  it('each array read is a few Range requests, never the whole body', async () => {
    const values = new Float32Array(300_000).map((_, i) => Math.cos(i));
    const npz = await encodeNpz([
      { name: 'a', shape: [300_000], data: values },
      { name: 'b', shape: [2], data: new Float32Array([5, 6]) },
    ]);
    const server = await serveBytes(npz);
    try {
      const archive = await openNpz(await HttpRangeByteSource.open(server.url), {
        chunkSize: 256 * 1024,
      });
      const before = server.requests.length;
      expect(Array.from((await archive.read('b')).data)).toEqual([5, 6]);
      expect(server.requests.length - before).toBe(1);
      const a = await archive.read('a');
      expect(a.data[12345]).toBe(Math.fround(Math.cos(12345)));
      expect(server.requests.length - before).toBe(
        1 + Math.ceil(archive.entry('a')!.compressedSize / (256 * 1024)),
      );
    } finally {
      await server.close();
    }
  });
});
