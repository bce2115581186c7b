import type { ByteSource } from './byte-source';
import { checkReadRange } from './byte-source';
import { ByteSourceError } from '../errors';
import {
  discardBody,
  HttpError,
  httpRequestWithRetry,
  parseContentRange,
  rangeHeader,
  readBody,
} from './http';

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
  /** Retries of a failed request (network error, timeout, 5xx, 429), with backoff. Default 2. */
  retries?: number;
  /** First backoff delay in ms, doubled each retry (default 100). */
  retryDelayMs?: number;
  /** Most ms to wait for response headers (default 30,000). */
  timeoutMs?: number;
  /** Most ms a body may stall (default 60,000). */
  idleTimeoutMs?: number;
  /** Name for messages (default: the URL). */
  name?: string;
  /** Aborts all requests. */
  signal?: AbortSignal;
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
  private readonly options: HttpRangeByteSourceOptions;
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
    this.options = options;
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
    const response = await request(url, fetchImpl, options, rangeHeader(0, 1));
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
      const body = await bodyOf(
        response,
        options,
        name,
        maxWhole,
        () =>
          new ByteSourceError(
            'range-unsupported',
            name,
            `the server ignores HTTP Range requests and the body exceeds maxWholeBodyBytes = ${maxWhole}`,
          ),
      );
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
    const response = await request(
      this.url,
      this.fetchImpl,
      { ...this.options, headers: this.headers, name: this.name },
      rangeHeader(offset, length),
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
    const bytes = await bodyOf(
      response,
      this.options,
      this.name,
      length,
      () =>
        new ByteSourceError(
          'short-read',
          this.name,
          `asked for ${length} bytes at offset ${offset}, the server sent more`,
        ),
    );
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

/** One Range request through the HTTP module, retried; failures become ByteSourceError('http-status'). */
async function request(
  url: string,
  fetchImpl: typeof fetch,
  options: HttpRangeByteSourceOptions,
  range: string,
): Promise<Response> {
  const name = options.name ?? url;
  try {
    return await httpRequestWithRetry(url, {
      fetch: fetchImpl,
      headers: { ...(options.headers ?? {}), Range: range },
      retries: options.retries ?? 2,
      retryDelayMs: options.retryDelayMs ?? 100,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      name,
    });
  } catch (error) {
    if (error instanceof HttpError && error.code === 'aborted')
      throw options.signal?.reason ?? error;
    throw new ByteSourceError(
      'http-status',
      name,
      `request failed${error instanceof HttpError && error.code === 'timeout' ? ' (timeout)' : ''}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** A body of at most `max` bytes; more is `tooLarge()`, a stall or a cut a ByteSourceError. */
async function bodyOf(
  response: Response,
  options: HttpRangeByteSourceOptions,
  name: string,
  max: number,
  tooLarge: () => ByteSourceError,
): Promise<Uint8Array> {
  try {
    return await readBody(response, {
      maxBytes: max,
      name,
      ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (error instanceof HttpError && error.code === 'too-large') throw tooLarge();
    if (error instanceof HttpError && error.code === 'aborted')
      throw options.signal?.reason ?? error;
    throw new ByteSourceError('short-read', name, (error as Error).message, { cause: error });
  }
}
