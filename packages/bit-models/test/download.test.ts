import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DownloadError,
  type DownloadProgress,
  downloadToCacheStorage,
  modelUrl,
  resolveBaseUrl,
  resolveCheckpointSource,
  type CacheLike,
  type CacheStorageLike,
} from '../src/download/index';
import { downloadCheckpoint, resolveCacheDir } from '../src/download/node';
import { getModelEntry, OFFICIAL_BASE_URL } from '../src/zoo/registry';

/** How the test server answers one path. */
interface Route {
  body: Buffer;
  /** Honour `Range: bytes=N-` (default true). */
  range?: boolean;
  /** Absolute file positions at which successive requests are cut (socket destroyed). */
  cutAt?: number[];
  /** The first `failTimes` requests get `failStatus` (default 500). */
  failTimes?: number;
  failStatus?: number;
  /** Flip this byte (absolute position) in every answer. */
  corruptAt?: number;
  /** Send in 64 KiB chunks with this delay between them. */
  chunkDelayMs?: number;
  hits: number;
}

interface LoggedRequest {
  path: string;
  range: string | undefined;
  ifRange: string | undefined;
}

const FILE = randomBytes(3 * 1024 * 1024);
const FILE_SHA = createHash('sha256').update(FILE).digest('hex');
const routes = new Map<string, Route>();
const log: LoggedRequest[] = [];
let server: Server;
let base: string;
let root: string;
let cacheDir: string;
let counter = 0;

function sendChunks(res: ServerResponse, data: Buffer, delayMs: number): void {
  let offset = 0;
  const next = (): void => {
    if (res.destroyed) return;
    if (offset >= data.length) {
      res.end();
      return;
    }
    const piece = data.subarray(offset, offset + 65536);
    offset += piece.length;
    res.write(piece, () => setTimeout(next, delayMs));
  };
  next();
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const range = req.headers.range;
  log.push({ path, range, ifRange: req.headers['if-range'] as string | undefined });
  const route = routes.get(path);
  if (route === undefined) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  route.hits += 1;
  if (route.failTimes !== undefined && route.hits <= route.failTimes) {
    res.writeHead(route.failStatus ?? 500).end('boom');
    return;
  }
  const total = route.body.length;
  let start = 0;
  let status = 200;
  const headers: Record<string, string | number> = {
    etag: '"v1"',
    'content-type': 'application/octet-stream',
  };
  if (route.range !== false) headers['accept-ranges'] = 'bytes';
  if (route.range !== false && range !== undefined) {
    const m = /^bytes=(\d+)-$/.exec(range);
    if (m === null) {
      res.writeHead(400).end();
      return;
    }
    start = Number(m[1]);
    if (start >= total) {
      res.writeHead(416, { 'content-range': `bytes */${total}` }).end();
      return;
    }
    status = 206;
    headers['content-range'] = `bytes ${start}-${total - 1}/${total}`;
  }
  let data = route.body.subarray(start);
  if (route.corruptAt !== undefined && route.corruptAt >= start) {
    data = Buffer.from(data);
    data[route.corruptAt - start] ^= 0xff;
  }
  headers['content-length'] = data.length;
  res.writeHead(status, headers);
  const cut = route.cutAt?.[route.hits - 1 - (route.failTimes ?? 0)];
  if (cut !== undefined && cut > start) {
    // Send up to the cut, give the client time to consume it, then kill the socket.
    res.write(data.subarray(0, cut - start), () => setTimeout(() => res.socket?.destroy(), 100));
    return;
  }
  if (route.chunkDelayMs !== undefined) sendChunks(res, data, route.chunkDelayMs);
  else res.end(data);
}

/** Registers a route under a fresh path and returns its path. */
function serve(
  route: Omit<Route, 'hits' | 'body'> & { body?: Buffer },
  name = 'model.npz',
): string {
  counter += 1;
  const path = `/r${counter}/${name}`;
  routes.set(path, { body: FILE, ...route, hits: 0 });
  return path;
}

function requestsFor(path: string): LoggedRequest[] {
  return log.filter((r) => r.path === path);
}

async function expectDownloadError(promise: Promise<unknown>): Promise<DownloadError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DownloadError);
  return error as DownloadError;
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  root = await mkdtemp(join(tmpdir(), 'bit-download-'));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(root, { recursive: true, force: true });
});

beforeEach(async () => {
  cacheDir = await mkdtemp(join(root, 'cache-'));
});

const fast = { retryDelayMs: 5, lockPollMs: 20 };

describe('cache directory and URLs', () => {
  it('resolveCacheDir: BIT_CACHE_DIR, then XDG_CACHE_HOME/bit, then ~/.cache/bit', () => {
    expect(resolveCacheDir({ BIT_CACHE_DIR: '/data/bit', XDG_CACHE_HOME: '/x' })).toBe('/data/bit');
    expect(resolveCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/bit');
    expect(resolveCacheDir({ XDG_CACHE_HOME: 'relative' })).toBe(join(homedir(), '.cache', 'bit'));
    expect(resolveCacheDir({})).toBe(join(homedir(), '.cache', 'bit'));
  });

  it('modelUrl: option, then BIT_MODELS_BASE_URL, then the official bucket; slashes handled', () => {
    const entry = getModelEntry('BiT-M-R50x1');
    expect(modelUrl(entry, { env: {} })).toBe(`${OFFICIAL_BASE_URL}BiT-M-R50x1.npz`);
    expect(
      modelUrl('BiT-M-R50x1-distilled-224', { env: { BIT_MODELS_BASE_URL: 'http://m/x//' } }),
    ).toBe('http://m/x/distill/R50x1_224.npz');
    expect(
      modelUrl(entry, { baseUrl: 'http://opt/y', env: { BIT_MODELS_BASE_URL: 'http://m/' } }),
    ).toBe('http://opt/y/BiT-M-R50x1.npz');
    expect(resolveBaseUrl({ env: { BIT_MODELS_BASE_URL: '' } })).toBe(OFFICIAL_BASE_URL);
    expect(() => modelUrl('BiT-Q-R1x1', { env: {} })).toThrow(/unknown model 'BiT-Q-R1x1'/);
  });

  it('resolveCheckpointSource: names, relative paths and absolute URLs map to safe cache paths', () => {
    const env = { BIT_MODELS_BASE_URL: 'http://mirror/bit' };
    expect(resolveCheckpointSource('bit-s-r101x3', { env })).toMatchObject({
      name: 'BiT-S-R101x3',
      url: 'http://mirror/bit/BiT-S-R101x3.npz',
      cachePath: 'BiT-S-R101x3.npz',
    });
    expect(resolveCheckpointSource('distill/R50x1_160.npz', { env }).cachePath).toBe(
      'distill/R50x1_160.npz',
    );
    expect(resolveCheckpointSource('http://mirror/bit/a/b.npz?sig=1', { env }).cachePath).toBe(
      'a/b.npz',
    );
    // the URL parser resolves dot segments; relative paths get them neutralised
    expect(resolveCheckpointSource('http://other:81/../x/%2e%2e/w.npz', { env }).cachePath).toBe(
      'other_81/w.npz',
    );
    expect(resolveCheckpointSource('../../etc/a b.npz', { env })).toMatchObject({
      cachePath: '_/_/etc/a_b.npz',
      url: 'http://mirror/bit/../../etc/a b.npz',
    });
  });
});

describe('downloadCheckpoint', () => {
  it('downloads, reports monotone progress ending at the total, and leaves only the final file', async () => {
    const path = serve({ chunkDelayMs: 2 });
    const events: DownloadProgress[] = [];
    const started = Date.now();
    const result = await downloadCheckpoint(base + path, {
      cacheDir,
      onProgress: (e) => events.push({ ...e }),
    });
    const elapsed = Date.now() - started;
    expect(result.fromCache).toBe(false);
    expect(result.bytes).toBe(FILE.length);
    expect(result.path).toBe(
      join(cacheDir, '127.0.0.1_' + new URL(base).port, ...path.slice(1).split('/')),
    );
    expect((await readFile(result.path)).equals(FILE)).toBe(true);
    expect(events.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < events.length; i++) {
      expect(events[i].receivedBytes).toBeGreaterThanOrEqual(events[i - 1].receivedBytes);
    }
    // throttled: at most one event per ~100 ms besides the forced start and end ones (48 chunks arrived)
    expect(events.length).toBeLessThanOrEqual(3 + Math.ceil(elapsed / 100));
    expect(events.at(-1)).toMatchObject({
      receivedBytes: FILE.length,
      totalBytes: FILE.length,
      resumedFrom: 0,
    });
    expect(events.every((e) => e.totalBytes === FILE.length && e.url === base + path)).toBe(true);
    const left = await readdir(join(result.path, '..'));
    expect(left).toEqual(['model.npz']);
  });

  it('returns a cached file without any request', async () => {
    const path = serve({});
    const first = await downloadCheckpoint(base + path, { cacheDir });
    const before = requestsFor(path).length;
    const second = await downloadCheckpoint(base + path, { cacheDir });
    expect(second).toEqual({ ...first, fromCache: true });
    expect(requestsFor(path).length).toBe(before);
    // force fetches again
    const forced = await downloadCheckpoint(base + path, { cacheDir, force: true });
    expect(forced.fromCache).toBe(false);
    expect(requestsFor(path).length).toBe(before + 1);
  });

  it('resumes a cut transfer with Range: bytes=N- and ends byte-identical', async () => {
    const cut = 1_000_000;
    const path = serve({ cutAt: [cut] });
    const events: DownloadProgress[] = [];
    const result = await downloadCheckpoint(base + path, {
      cacheDir,
      ...fast,
      onProgress: (e) => events.push({ ...e }),
    });
    const requests = requestsFor(path);
    expect(requests.length).toBe(2);
    expect(requests[0].range).toBeUndefined();
    expect(requests[1].range).toBe(`bytes=${cut}-`);
    expect(requests[1].ifRange).toBe('"v1"');
    expect(
      createHash('sha256')
        .update(await readFile(result.path))
        .digest('hex'),
    ).toBe(FILE_SHA);
    expect(events.some((e) => e.resumedFrom === cut)).toBe(true);
    expect(events.at(-1)?.receivedBytes).toBe(FILE.length);
  });

  it('gives up after `retries` cuts with a DownloadError, keeps the part, and a later call resumes', async () => {
    const path = serve({ cutAt: [500_000, 1_000_000, 1_500_000] });
    const url = base + path;
    const error = await expectDownloadError(
      downloadCheckpoint(url, { cacheDir, ...fast, retries: 2 }),
    );
    expect(error.code).toBe('network');
    expect(error.url).toBe(url);
    expect(error.receivedBytes).toBe(1_500_000);
    expect(error.attempts).toBe(3);
    expect(error.message).toContain(url);
    expect(requestsFor(path).map((r) => r.range)).toEqual([
      undefined,
      'bytes=500000-',
      'bytes=1000000-',
    ]);
    const part =
      join(cacheDir, '127.0.0.1_' + new URL(base).port, ...path.slice(1).split('/')) + '.part';
    expect((await stat(part)).size).toBe(1_500_000);
    const result = await downloadCheckpoint(url, { cacheDir, ...fast, sha256: FILE_SHA });
    expect(requestsFor(path).at(-1)?.range).toBe('bytes=1500000-');
    expect((await readFile(result.path)).equals(FILE)).toBe(true);
    expect(existsSync(part)).toBe(false);
  });

  it('starts over when the server ignores Range (answers 200)', async () => {
    const path = serve({ range: false, cutAt: [700_000] });
    const result = await downloadCheckpoint(base + path, { cacheDir, ...fast });
    const requests = requestsFor(path);
    expect(requests.map((r) => r.range)).toEqual([undefined, 'bytes=700000-']);
    expect((await readFile(result.path)).equals(FILE)).toBe(true);
  });

  it('handles 416: a complete part is verified and kept, a too-large part is restarted', async () => {
    const path = serve({});
    // complete part
    const first = await downloadCheckpoint(base + path, { cacheDir, ...fast });
    await rm(first.path);
    await writeFile(first.path + '.part', FILE);
    const again = await downloadCheckpoint(base + path, { cacheDir, ...fast, sha256: FILE_SHA });
    expect(requestsFor(path).at(-1)?.range).toBe(`bytes=${FILE.length}-`);
    expect(again.fromCache).toBe(false);
    expect((await readFile(again.path)).equals(FILE)).toBe(true);
    // part larger than the file
    await rm(again.path);
    await writeFile(again.path + '.part', Buffer.concat([FILE, Buffer.alloc(10)]));
    const n = requestsFor(path).length;
    const third = await downloadCheckpoint(base + path, { cacheDir, ...fast });
    expect(
      requestsFor(path)
        .slice(n)
        .map((r) => r.range),
    ).toEqual([`bytes=${FILE.length + 10}-`, undefined]);
    expect((await readFile(third.path)).equals(FILE)).toBe(true);
  });

  it('a flipped byte fails the SHA-256 check: integrity error, no final file, no part', async () => {
    const path = serve({ corruptAt: 123_457 });
    const url = base + path;
    const error = await expectDownloadError(
      downloadCheckpoint(url, { cacheDir, ...fast, sha256: FILE_SHA }),
    );
    expect(error.code).toBe('integrity');
    expect(error.message).toMatch(/SHA-256 [0-9a-f]{64} differs/);
    const dir = join(
      cacheDir,
      '127.0.0.1_' + new URL(base).port,
      ...path.slice(1).split('/').slice(0, -1),
    );
    expect(await readdir(dir)).toEqual([]);
    expect(requestsFor(path).length).toBe(1);
  });

  it('runs the verify hook on the finished part; a throw is an integrity error', async () => {
    const path = serve({ corruptAt: 5 });
    const seen: Buffer[] = [];
    const error = await expectDownloadError(
      downloadCheckpoint(base + path, {
        cacheDir,
        ...fast,
        verify: async (p) => {
          const bytes = await readFile(p);
          seen.push(bytes);
          if (!bytes.equals(FILE)) throw new Error('CRC-32 mismatch in member x.npy');
        },
      }),
    );
    expect(error.code).toBe('integrity');
    expect(error.message).toContain('CRC-32 mismatch');
    expect(seen.length).toBe(1);
    expect(seen[0].length).toBe(FILE.length);
    const good = serve({});
    const ok = await downloadCheckpoint(base + good, {
      cacheDir,
      verify: async (p) => {
        if (!(await readFile(p)).equals(FILE)) throw new Error('bad');
      },
    });
    expect(ok.bytes).toBe(FILE.length);
  });

  it('refuses a size other than expectedSize before downloading', async () => {
    const path = serve({});
    const error = await expectDownloadError(
      downloadCheckpoint(base + path, { cacheDir, ...fast, expectedSize: FILE.length + 1 }),
    );
    expect(error.code).toBe('integrity');
    expect(error.message).toContain(`expected ${FILE.length + 1}`);
    expect(requestsFor(path).length).toBe(1);
  });

  it('404 is a DownloadError naming URL and status, not retried', async () => {
    const url = `${base}/missing/thing.npz`;
    const error = await expectDownloadError(downloadCheckpoint(url, { cacheDir, ...fast }));
    expect(error.code).toBe('http-status');
    expect(error.status).toBe(404);
    expect(error.message).toContain(url);
    expect(error.message).toContain('404');
    expect(log.filter((r) => r.path === '/missing/thing.npz').length).toBe(1);
  });

  it('retries a 500 and succeeds; a 500 that persists fails after retries', async () => {
    const flaky = serve({ failTimes: 1 });
    const result = await downloadCheckpoint(base + flaky, { cacheDir, ...fast });
    expect(requestsFor(flaky).length).toBe(2);
    expect((await readFile(result.path)).equals(FILE)).toBe(true);

    const broken = serve({ failTimes: 99 });
    const error = await expectDownloadError(
      downloadCheckpoint(base + broken, { cacheDir, ...fast, retries: 2 }),
    );
    expect(error).toMatchObject({ code: 'http-status', status: 500, attempts: 3 });
    expect(requestsFor(broken).length).toBe(3);
  });

  it('honours BIT_MODELS_BASE_URL and BIT_CACHE_DIR (zoo names, nested paths)', async () => {
    const small = randomBytes(1000);
    routes.set('/mirror/BiT-M-R50x1.npz', { body: small, hits: 0 });
    routes.set('/mirror/distill/R50x1_224.npz', { body: small, hits: 0 });
    const env = { BIT_MODELS_BASE_URL: `${base}/mirror/`, BIT_CACHE_DIR: cacheDir };
    const a = await downloadCheckpoint('BiT-M-R50x1', { env });
    expect(a).toMatchObject({
      path: join(cacheDir, 'BiT-M-R50x1.npz'),
      url: `${base}/mirror/BiT-M-R50x1.npz`,
    });
    const b = await downloadCheckpoint('BiT-M-R50x1-distilled-224', { env });
    expect(b.path).toBe(join(cacheDir, 'distill', 'R50x1_224.npz'));
    expect((await readFile(b.path)).equals(small)).toBe(true);
    // baseUrl option wins over the env
    routes.set('/opt/BiT-M-R50x1.npz', { body: small, hits: 0 });
    const c = await downloadCheckpoint('BiT-M-R50x1', { env, baseUrl: `${base}/opt`, force: true });
    expect(c.url).toBe(`${base}/opt/BiT-M-R50x1.npz`);
    expect(routes.get('/opt/BiT-M-R50x1.npz')?.hits).toBe(1);
  });

  it('takes over a stale lock (dead pid), waits for a live one', async () => {
    const path = serve({});
    const url = base + path;
    const final = join(cacheDir, '127.0.0.1_' + new URL(base).port, ...path.slice(1).split('/'));
    await downloadCheckpoint(url, { cacheDir });
    await rm(final);
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(
      `${final}.lock`,
      JSON.stringify({ pid: deadPid, host: hostname(), token: 'old' }),
    );
    const result = await downloadCheckpoint(url, { cacheDir, ...fast, lockTimeoutMs: 5000 });
    expect((await readFile(result.path)).equals(FILE)).toBe(true);
    expect(existsSync(`${final}.lock`)).toBe(false);

    // a live, fresh lock: waits, then gives up after lockTimeoutMs
    await rm(final);
    const live = JSON.stringify({ pid: process.pid, host: hostname(), token: 'other' });
    await writeFile(`${final}.lock`, live);
    const error = await expectDownloadError(
      downloadCheckpoint(url, { cacheDir, ...fast, lockTimeoutMs: 300 }),
    );
    expect(error.code).toBe('lock-timeout');
    expect(await readFile(`${final}.lock`, 'utf8')).toBe(live);
    // the same lock, not refreshed for longer than staleLockMs: taken over
    const old = new Date(Date.now() - 60_000);
    await utimes(`${final}.lock`, old, old);
    const taken = await downloadCheckpoint(url, {
      cacheDir,
      ...fast,
      staleLockMs: 10_000,
      lockTimeoutMs: 5000,
    });
    expect(taken.fromCache).toBe(false);
    expect(existsSync(`${final}.lock`)).toBe(false);
  });

  it('two concurrent downloads of one file end with one valid file and one request', async () => {
    const path = serve({ chunkDelayMs: 1 });
    const url = base + path;
    const [a, b] = await Promise.all([
      downloadCheckpoint(url, { cacheDir, ...fast }),
      downloadCheckpoint(url, { cacheDir, ...fast }),
    ]);
    expect(a.path).toBe(b.path);
    expect([a.fromCache, b.fromCache].sort()).toEqual([false, true]);
    expect(requestsFor(path).length).toBe(1);
    expect((await readFile(a.path)).equals(FILE)).toBe(true);
    expect(await readdir(join(a.path, '..'))).toEqual(['model.npz']);
  });

  it('an abort stops the download with code aborted and keeps the part for a resume', async () => {
    const path = serve({ chunkDelayMs: 5 });
    const controller = new AbortController();
    const error = await expectDownloadError(
      downloadCheckpoint(base + path, {
        cacheDir,
        ...fast,
        signal: controller.signal,
        onProgress: (e) => {
          if (e.receivedBytes >= 300_000) controller.abort();
        },
      }),
    );
    expect(error.code).toBe('aborted');
    expect(error.receivedBytes).toBeGreaterThanOrEqual(300_000);
    expect(requestsFor(path).length).toBe(1);
    const result = await downloadCheckpoint(base + path, { cacheDir, ...fast });
    expect(requestsFor(path).at(-1)?.range).toBe(`bytes=${error.receivedBytes}-`);
    expect((await readFile(result.path)).equals(FILE)).toBe(true);
  });
});

/** A minimal in-memory Cache Storage (Node 20 has none). */
class FakeCache implements CacheLike {
  readonly entries = new Map<string, Blob>();
  async match(url: string): Promise<Response | undefined> {
    const blob = this.entries.get(url);
    return blob === undefined ? undefined : new Response(blob);
  }
  async put(url: string, response: Response): Promise<void> {
    const blob = await response.blob(); // rejects when the body stream breaks
    this.entries.set(url, blob);
  }
  async delete(url: string): Promise<boolean> {
    return this.entries.delete(url);
  }
}

class FakeCacheStorage implements CacheStorageLike {
  readonly caches = new Map<string, FakeCache>();
  async open(name: string): Promise<FakeCache> {
    let cache = this.caches.get(name);
    if (cache === undefined) this.caches.set(name, (cache = new FakeCache()));
    return cache;
  }
}

describe('downloadToCacheStorage', () => {
  it('stores the file under its URL and serves it from the cache the second time', async () => {
    const storage = new FakeCacheStorage();
    const path = serve({ chunkDelayMs: 1 });
    const events: DownloadProgress[] = [];
    const blob = await downloadToCacheStorage(base + path, {
      caches: storage,
      onProgress: (e) => events.push({ ...e }),
    });
    expect(Buffer.from(await blob.arrayBuffer()).equals(FILE)).toBe(true);
    expect(storage.caches.get('bit-models')?.entries.has(base + path)).toBe(true);
    expect(events.at(-1)).toMatchObject({
      name: 'model.npz',
      receivedBytes: FILE.length,
      totalBytes: FILE.length,
    });
    for (let i = 1; i < events.length; i++) {
      expect(events[i].receivedBytes).toBeGreaterThanOrEqual(events[i - 1].receivedBytes);
    }
    const again = await downloadToCacheStorage(base + path, { caches: storage });
    expect(again.size).toBe(FILE.length);
    expect(requestsFor(path).length).toBe(1);
  });

  it('retries a cut transfer from the start, and maps 404 and verify failures to DownloadError', async () => {
    const storage = new FakeCacheStorage();
    const path = serve({ cutAt: [400_000] });
    const blob = await downloadToCacheStorage(base + path, {
      caches: storage,
      cacheName: 'c',
      ...fast,
    });
    expect(Buffer.from(await blob.arrayBuffer()).equals(FILE)).toBe(true);
    expect(requestsFor(path).map((r) => r.range)).toEqual([undefined, undefined]);

    const missing = await expectDownloadError(
      downloadToCacheStorage(`${base}/nope.npz`, { caches: storage, ...fast }),
    );
    expect(missing).toMatchObject({ code: 'http-status', status: 404, attempts: 1 });

    const bad = serve({ corruptAt: 0 });
    const error = await expectDownloadError(
      downloadToCacheStorage(base + bad, {
        caches: storage,
        ...fast,
        verify: async (b) => {
          if (!Buffer.from(await b.arrayBuffer()).equals(FILE)) throw new Error('bad npz');
        },
      }),
    );
    expect(error.code).toBe('integrity');
    expect(storage.caches.get('bit-models')?.entries.has(base + bad)).toBe(false);
    await expect(downloadToCacheStorage(base + bad, { caches: undefined })).rejects.toThrow(
      /Cache Storage/,
    );
  });
});
