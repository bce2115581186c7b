import type { ByteSource } from './byte-source.js';
import { checkReadRange } from './byte-source.js';
import { ByteSourceError } from '../errors.js';

/** Options of {@link HttpRangeByteSource.open}. */
export interface HttpRangeByteSourceOptions {
  /** The fetch implementation (default: `globalThis.fetch`). */
  fetch?: typeof fetch;
  /** Extra request headers (e.g. authorization). */
  headers?: Record<string, string>;
  /**
   * When the server ignores `Range` (answers 200 with the whole body), keep the body in
   * memory if it is at most this many bytes; larger bodies are refused with
   * `ByteSourceError('range-unsupported')`. Default 32 MiB.
   */
  maxWholeBodyBytes?: number;
  /** Retries of a failed request (network error, 5xx, 429). Default 2. */
  retries?: number;
  /** Name for messages (default: the URL). */
  name?: string;
  /** Aborts all requests. */
  signal?: AbortSignal;
}

const CONTENT_RANGE = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i;

interface ContentRange {
  start?: number;
  end?: number;
  total?: number;
}

function parseContentRange(header: string | null): ContentRange | undefined {
  if (header === null) return undefined;
  const m = CONTENT_RANGE.exec(header.trim());
  if (m === null) return undefined;
  const range: ContentRange = {};
  if (m[1] !== undefined && m[2] !== undefined) {
    range.start = Number(m[1]);
    range.end = Number(m[2]);
  }
  if (m[3] !== '*') range.total = Number(m[3]);
  return range;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function discardBody(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // ignore: the body is not needed
  }
}

/**
 * A {@link ByteSource} over an HTTP(S) URL using `Range` requests (isomorphic: any `fetch`).
 * Create with {@link HttpRangeByteSource.open}, which learns the size from a first
 * `Range: bytes=0-0` request. If the server ignores `Range`, a small body (up to
 * `maxWholeBodyBytes`) is kept in memory and served from there; a large one is refused.
 */
export class HttpRangeByteSource implements ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** The URL or the name given, for messages. */
  readonly name: string;
  /** True when the server ignored Range and the whole body is held in memory. */
  readonly wholeBody: boolean;
  private readonly fetchImpl: typeof fetch;
  private readonly headers: Record<string, string>;
  private readonly retries: number;
  private readonly signal: AbortSignal | undefined;
  private body: Uint8Array | undefined;

  private constructor(
    readonly url: string,
    size: number,
    body: Uint8Array | undefined,
    options: HttpRangeByteSourceOptions,
    fetchImpl: typeof fetch,
  ) {
    this.size = size;
    this.name = options.name ?? url;
    this.body = body;
    this.wholeBody = body !== undefined;
    this.fetchImpl = fetchImpl;
    this.headers = { ...(options.headers ?? {}) };
    this.retries = options.retries ?? 2;
    this.signal = options.signal;
  }

  /**
   * Probes `url` with `Range: bytes=0-0` and returns a source for it.
   * @throws ByteSourceError 'http-status' (request failed), 'unknown-size',
   *   'range-unsupported' (Range ignored and the body is larger than `maxWholeBodyBytes`).
   */
  static async open(
    url: string,
    options: HttpRangeByteSourceOptions = {},
  ): Promise<HttpRangeByteSource> {
    const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    const name = options.name ?? url;
    const maxWhole = options.maxWholeBodyBytes ?? 32 * 1024 * 1024;
    const response = await fetchWithRetries(
      fetchImpl,
      url,
      { ...(options.headers ?? {}), Range: 'bytes=0-0' },
      options.retries ?? 2,
      options.signal,
      name,
    );
    if (response.status === 206) {
      const range = parseContentRange(response.headers.get('content-range'));
      await discardBody(response);
      if (range?.total === undefined) {
        throw new ByteSourceError(
          'unknown-size',
          name,
          `the server's Content-Range (${response.headers.get('content-range')}) has no total size`,
        );
      }
      return new HttpRangeByteSource(url, range.total, undefined, options, fetchImpl);
    }
    if (response.status === 416) {
      // Range not satisfiable: an empty resource ("bytes */0").
      const range = parseContentRange(response.headers.get('content-range'));
      await discardBody(response);
      if (range?.total === undefined) {
        throw new ByteSourceError('unknown-size', name, 'HTTP 416 without a Content-Range total');
      }
      return new HttpRangeByteSource(url, range.total, undefined, options, fetchImpl);
    }
    if (response.status === 200) {
      const declared = response.headers.get('content-length');
      if (declared !== null && Number(declared) > maxWhole) {
        await discardBody(response);
        throw new ByteSourceError(
          'range-unsupported',
          name,
          `the server ignores HTTP Range requests and the file is ${declared} bytes ` +
            `(more than maxWholeBodyBytes = ${maxWhole}); serve it from a server that supports Range`,
        );
      }
      const body = await readBodyAtMost(response, maxWhole, name);
      return new HttpRangeByteSource(url, body.length, body, options, fetchImpl);
    }
    await discardBody(response);
    throw new ByteSourceError(
      'http-status',
      name,
      `HTTP ${response.status} ${response.statusText}`.trim(),
    );
  }

  /** Reads `length` bytes at `offset` with one Range request. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkReadRange(this.name, this.size, offset, length);
    if (this.body !== undefined) return this.body.subarray(offset, offset + length);
    if (length === 0) return new Uint8Array(0);
    const last = offset + length - 1;
    const response = await fetchWithRetries(
      this.fetchImpl,
      this.url,
      { ...this.headers, Range: `bytes=${offset}-${last}` },
      this.retries,
      this.signal,
      this.name,
    );
    if (response.status !== 206) {
      await discardBody(response);
      if (response.status === 200) {
        throw new ByteSourceError(
          'range-unsupported',
          this.name,
          `the server answered a Range request for bytes ${offset}-${last} with the whole body`,
        );
      }
      throw new ByteSourceError(
        'http-status',
        this.name,
        `HTTP ${response.status} ${response.statusText} for bytes ${offset}-${last}`,
      );
    }
    const range = parseContentRange(response.headers.get('content-range'));
    if (range !== undefined && range.start !== undefined && range.start !== offset) {
      await discardBody(response);
      throw new ByteSourceError(
        'short-read',
        this.name,
        `asked for bytes ${offset}-${last}, the server sent ${range.start}-${range.end}`,
      );
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length !== length) {
      throw new ByteSourceError(
        'short-read',
        this.name,
        `asked for ${length} bytes at offset ${offset}, got ${bytes.length}`,
      );
    }
    return bytes;
  }

  /** Drops the in-memory body, if any. */
  async close(): Promise<void> {
    this.body = undefined;
  }
}

async function fetchWithRetries(
  fetchImpl: typeof fetch,
  url: string,
  headers: Record<string, string>,
  retries: number,
  signal: AbortSignal | undefined,
  name: string,
): Promise<Response> {
  let lastError: unknown;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await sleep(100 * 2 ** (attempt - 1));
    try {
      const init: RequestInit = { headers };
      if (signal !== undefined) init.signal = signal;
      const response = await fetchImpl(url, init);
      if ((response.status >= 500 || response.status === 429) && attempt < retries) {
        await discardBody(response);
        lastError = new Error(`HTTP ${response.status}`);
        continue;
      }
      return response;
    } catch (error) {
      if (signal?.aborted) throw error;
      lastError = error;
    }
  }
  throw new ByteSourceError(
    'http-status',
    name,
    `request failed after ${retries + 1} attempts: ${String(lastError)}`,
    { cause: lastError },
  );
}

async function readBodyAtMost(response: Response, max: number, name: string): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel();
      throw new ByteSourceError(
        'range-unsupported',
        name,
        `the server ignores HTTP Range requests and the body exceeds maxWholeBodyBytes = ${max}`,
      );
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
