/**
 * Downloads under stress (issue 13, item 4): servers that stall, send an endless body, a wrong
 * Content-Length, a redirect loop or more than they declared are cut off within bounded time and
 * memory with a typed error, and nothing partial is left where the cache expects a good file;
 * two processes fetching one model make one download and both get a verified file.
 *
 * The server is a raw TCP server on 127.0.0.1 (so it can break HTTP in ways node:http refuses),
 * each response loop bounded by a byte cap or the socket closing.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DownloadError, downloadToCacheStorage, type CacheLike } from '../src/download/index';
import { downloadCheckpoint } from '../src/download/node';
import { ByteSourceError } from '../src/errors';
import { HttpRangeByteSource } from '../src/io/http-range-source';
import { HttpError, readBody } from '../src/io/http';

const FILE = randomBytes(256 * 1024);
const SHA = createHash('sha256').update(FILE).digest('hex');
const ENDLESS_CAP = 256 * 1024 * 1024; // the endless body stops here at the latest

type Behaviour =
  | 'ok'
  | 'slow-ok'
  | 'stall-headers'
  | 'stall-body'
  | 'endless'
  | 'short-length'
  | 'long-length'
  | 'more-than-declared'
  | 'redirect-loop';

let server: Server;
let base: string;
let root: string;
const sockets = new Set<Socket>();
const hits = new Map<string, { full: number; ranged: number }>();

function head(status: string, headers: Record<string, string | number>): string {
  return (
    `HTTP/1.1 ${status}\r\n` +
    Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    '\r\n'
  );
}

function answer(socket: Socket, path: string, range: string | undefined): void {
  const behaviour = path.split('/')[1] as Behaviour;
  const h = hits.get(path) ?? { full: 0, ranged: 0 };
  if (range) h.ranged++;
  else h.full++;
  hits.set(path, h);
  const start = range ? Number(/bytes=(\d+)-/.exec(range)?.[1] ?? 0) : 0;
  const ok = (body: Buffer, extra: Record<string, string | number> = {}) =>
    range
      ? head('206 Partial Content', {
          'content-length': body.length - start,
          'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
          ...extra,
        })
      : head('200 OK', { 'content-length': body.length, ...extra });
  switch (behaviour) {
    case 'ok':
      socket.end(Buffer.concat([Buffer.from(ok(FILE)), FILE.subarray(start)]));
      return;
    case 'slow-ok': {
      // 8 pieces, 150 ms apart: long enough for a second process to find the lock taken.
      socket.write(ok(FILE));
      let at = start;
      const step = Math.ceil(FILE.length / 8);
      const next = () => {
        if (socket.destroyed) return;
        if (at >= FILE.length) return void socket.end();
        socket.write(FILE.subarray(at, at + step));
        at += step;
        setTimeout(next, 150);
      };
      next();
      return;
    }
    case 'stall-headers':
      return; // never answers
    case 'stall-body':
      socket.write(ok(FILE));
      socket.write(FILE.subarray(start, start + 1000)); // then nothing
      return;
    case 'endless': {
      socket.write(head('200 OK', { 'transfer-encoding': 'chunked' }));
      const piece = Buffer.alloc(64 * 1024, 7);
      const frame = Buffer.concat([
        Buffer.from(`${piece.length.toString(16)}\r\n`),
        piece,
        Buffer.from('\r\n'),
      ]);
      let sent = 0;
      const pump = () => {
        while (!socket.destroyed && sent < ENDLESS_CAP) {
          sent += piece.length;
          if (!socket.write(frame)) return void socket.once('drain', pump);
        }
      };
      pump();
      return;
    }
    case 'short-length':
      // Declares fewer bytes than the file has: the client gets a file of the wrong size.
      socket.end(
        Buffer.concat([Buffer.from(head('200 OK', { 'content-length': FILE.length - 100 })), FILE]),
      );
      return;
    case 'long-length':
      // Declares more than it sends, then closes.
      socket.end(
        Buffer.concat([
          Buffer.from(head('200 OK', { 'content-length': FILE.length + 5000 })),
          FILE,
        ]),
      );
      return;
    case 'more-than-declared': {
      // Chunked body (no length), with a Content-Range total smaller than what follows.
      const body = Buffer.concat([FILE, FILE]);
      socket.end(
        Buffer.concat([
          Buffer.from(
            head('206 Partial Content', {
              'transfer-encoding': 'chunked',
              'content-range': `bytes ${start}-${FILE.length - 1}/${FILE.length}`,
            }),
          ),
          Buffer.from(`${(body.length - start).toString(16)}\r\n`),
          body.subarray(start),
          Buffer.from('\r\n0\r\n\r\n'),
        ]),
      );
      return;
    }
    case 'redirect-loop':
      socket.end(head('302 Found', { location: path, 'content-length': 0 }));
      return;
  }
}

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = '';
    socket.on('data', (d) => {
      buffered += d.toString('latin1');
      // One request per connection is enough here (every answer closes or stalls).
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0 || buffered.length > 65536) return;
      const [line, ...rest] = buffered.slice(0, end).split('\r\n');
      buffered = '';
      const path = line.split(' ')[1] ?? '/';
      const range = rest
        .find((l) => /^range:/i.test(l))
        ?.split(':')[1]
        ?.trim();
      answer(socket, path, range);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  root = await mkdtemp(join(tmpdir(), 'bit-download-stress-'));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(root, { recursive: true, force: true });
});

let n = 0;
const url = (b: Behaviour) => `${base}/${b}/${++n}/model.npz`;
const quick = { retries: 1, retryDelayMs: 10, timeoutMs: 800, idleTimeoutMs: 800 };

/** Runs a download that must fail; returns the error, the seconds taken and the cache's files. */
async function failing(b: Behaviour, extra: Record<string, unknown> = {}) {
  const cacheDir = await mkdtemp(join(root, 'cache-'));
  const rss = process.memoryUsage().rss;
  const started = performance.now();
  const error = await downloadCheckpoint(url(b), { cacheDir, ...quick, ...extra }).catch((e) => e);
  const seconds = (performance.now() - started) / 1000;
  const files: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else files.push(e.name);
    }
  };
  await walk(cacheDir);
  return { error, seconds, files, grownMB: (process.memoryUsage().rss - rss) / 2 ** 20 };
}

describe('downloadCheckpoint against hostile servers', () => {
  it.each([
    ['stall-headers', 'timeout', /no response headers within 800 ms/],
    ['stall-body', 'timeout', /stalled: no data for 800 ms/],
    ['redirect-loop', 'network', /redirect/],
  ] as const)('%s: DownloadError %s in bounded time, no final file', async (b, code, message) => {
    const r = await failing(b);
    expect(r.error).toBeInstanceOf(DownloadError);
    expect(r.error.code).toBe(code);
    expect(r.error.message).toMatch(message);
    expect(r.error.message).toContain(`/${b}/`);
    expect(r.seconds).toBeLessThan(10);
    expect(r.files).not.toContain('model.npz');
  });

  it('an endless body is cut at maxBytes: too-large, bounded memory, no final file', async () => {
    const r = await failing('endless', { maxBytes: 4 * 1024 * 1024 });
    expect(r.error).toBeInstanceOf(DownloadError);
    expect(r.error.code).toBe('too-large');
    expect(r.seconds).toBeLessThan(10);
    expect(r.grownMB).toBeLessThan(200);
    expect(r.files).not.toContain('model.npz');
  });

  it('a Content-Length shorter than the file: the checksum catches it, nothing is kept', async () => {
    const r = await failing('short-length', { sha256: SHA });
    expect(r.error.code).toBe('integrity');
    expect(r.files).toEqual([]);
  });

  it('a Content-Length longer than the body: incomplete after the retries, no final file', async () => {
    const r = await failing('long-length');
    expect(r.error).toBeInstanceOf(DownloadError);
    expect(['incomplete', 'network']).toContain(r.error.code);
    expect(r.seconds).toBeLessThan(10);
    expect(r.files).not.toContain('model.npz');
  });

  it('more bytes than the announced total: integrity error, the part is deleted', async () => {
    const r = await failing('more-than-declared');
    expect(r.error.code).toBe('integrity');
    expect(r.error.message).toMatch(/more than the announced/);
    expect(r.files).toEqual([]);
  });

  it('two processes fetching one model: one download, both get the verified file', async () => {
    const cacheDir = await mkdtemp(join(root, 'cache-'));
    const target = url('slow-ok');
    const dist = join(__dirname, '..', 'dist', 'node.js');
    expect(existsSync(dist), 'build @bit/models first').toBe(true);
    const script = `
      import { downloadCheckpoint } from ${JSON.stringify(dist)};
      const r = await downloadCheckpoint(${JSON.stringify(target)}, {
        cacheDir: ${JSON.stringify(cacheDir)}, sha256: ${JSON.stringify(SHA)}, lockPollMs: 20, retryDelayMs: 10,
      });
      process.stdout.write(JSON.stringify(r));`;
    const run = () =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.on('exit', (code) => {
          clearTimeout(guard);
          resolve({ code, out, err });
        });
      });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a.code, a.err).toBe(0);
    expect(b.code, b.err).toBe(0);
    const results = [JSON.parse(a.out), JSON.parse(b.out)];
    expect(results[0].path).toBe(results[1].path);
    expect(results.map((r) => r.fromCache).sort()).toEqual([false, true]);
    const path = new URL(target).pathname;
    expect(hits.get(path)).toEqual({ full: 1, ranged: 0 });
    expect((await readdir(join(results[0].path, '..'))).sort()).toEqual(['model.npz']);
  }, 90_000);
});

describe('the HTTP module under the range source and Cache Storage', () => {
  it('HttpRangeByteSource: a stalled server is a ByteSourceError in bounded time', async () => {
    const started = performance.now();
    const error = await HttpRangeByteSource.open(url('stall-headers'), {
      retries: 1,
      retryDelayMs: 10,
      timeoutMs: 500,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ByteSourceError);
    expect(error.message).toMatch(/timeout/);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('HttpRangeByteSource: an endless body past maxWholeBodyBytes is refused', async () => {
    const error = await HttpRangeByteSource.open(url('endless'), {
      maxWholeBodyBytes: 1024 * 1024,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ByteSourceError);
    expect(error.code).toBe('range-unsupported');
  });

  it('readBody: a size cap and a stall timeout, as HttpError', async () => {
    const endless = await fetch(url('endless'));
    await expect(readBody(endless, { maxBytes: 100_000 })).rejects.toMatchObject({
      name: 'HttpError',
      code: 'too-large',
    });
    const stalled = await fetch(url('stall-body'));
    const error = await readBody(stalled, { idleTimeoutMs: 300 }).catch((e) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error.code).toBe('timeout');
  });

  it('downloadToCacheStorage: a stalled body fails with timeout and stores nothing', async () => {
    const stored = new Map<string, Response>();
    const cache: CacheLike = {
      match: async (k) => stored.get(k),
      put: async (k, r) => {
        const body = await r.arrayBuffer();
        stored.set(k, new Response(body));
      },
      delete: async (k) => stored.delete(k),
    };
    const error = await downloadToCacheStorage(url('stall-body'), {
      caches: { open: async () => cache },
      ...quick,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect(error.code).toBe('timeout');
    expect(stored.size).toBe(0);
  });
});
