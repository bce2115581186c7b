/**
 * A tiny static HTTP server for the browser tests: serves directories under URL prefixes on
 * 127.0.0.1 (ephemeral port) with HTTP Range support (206 / 416), and logs every request so the
 * tests can check what the page fetched (Range reads, lazily loaded chunks).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';

/** One request the server answered. */
export interface RequestLogEntry {
  method: string;
  path: string;
  range: string | null;
  status: number;
}

/** A running test server. */
export interface TestServer {
  /** Origin, e.g. `http://127.0.0.1:41234`. */
  origin: string;
  /** Every request answered so far, in order. */
  log: RequestLogEntry[];
  /** Stops the server (closing idle and open connections). */
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.npz': 'application/octet-stream',
};

/** Parses a single-range `Range` header against `size`: [start, end] inclusive, 'bad' or 'unsatisfiable'. */
export function parseRange(
  header: string,
  size: number,
): [number, number] | 'bad' | 'unsatisfiable' {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null || (m[1] === '' && m[2] === '')) return 'bad';
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return [start, end];
}

async function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  file: string,
  extraHeaders: Record<string, string>,
): Promise<number> {
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new Error('not a file');
    size = s.size;
  } catch {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    return 404;
  }
  const headers: Record<string, string | number> = {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'no-store',
    ...extraHeaders,
  };
  const rangeHeader = req.headers.range;
  let start = 0;
  let end = size - 1;
  let status = 200;
  if (rangeHeader !== undefined) {
    const range = parseRange(rangeHeader, size);
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}` }).end();
      return 416;
    }
    if (range !== 'bad') {
      [start, end] = range;
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    }
  }
  headers['Content-Length'] = end - start + 1;
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return status;
  }
  await new Promise<void>((done) => {
    const stream = createReadStream(file, { start, end });
    stream.on('error', () => {
      res.destroy();
      done();
    });
    stream.on('end', done);
    stream.pipe(res);
  });
  return status;
}

/**
 * Starts a server that maps URL prefixes (`/fixtures/`) to directories, and exact paths (`/`)
 * to files. Paths escaping a mapped directory get 404.
 */
export async function startServer(options: {
  dirs: Record<string, string>;
  files: Record<string, string>;
  /** Headers added to every file answer (e.g. COOP/COEP for cross-origin isolation). */
  headers?: Record<string, string>;
}): Promise<TestServer> {
  const log: RequestLogEntry[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const range = req.headers.range ?? null;
    const finish = (status: number) =>
      log.push({ method: req.method ?? 'GET', path, range, status });
    let file = options.files[path];
    if (file === undefined) {
      for (const [prefix, dir] of Object.entries(options.dirs)) {
        if (!path.startsWith(prefix)) continue;
        const root = resolve(dir);
        const candidate = resolve(root, path.slice(prefix.length));
        if (candidate.startsWith(root + sep)) file = candidate;
        break;
      }
    }
    if (file === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      finish(404);
      return;
    }
    serveFile(req, res, file, options.headers ?? {}).then(finish, () => {
      res.destroy();
      finish(500);
    });
  });
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ready());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
