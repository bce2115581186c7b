/**
 * The one HTTP module of @bit/models (isomorphic: any `fetch`): requests with a deadline for the
 * response headers, retries with exponential backoff, bodies read with a stall timeout and a size
 * cap, `Range` / `Content-Range` helpers, and one failure type, {@link HttpError}. Used by
 * HttpRangeByteSource, the disk download cache and the Cache Storage variant.
 */

/** Why an HTTP exchange failed. */
export type HttpErrorCode =
  /** The server answered with an error status (after the retries, for retryable ones). */
  | 'http-status'
  /** The connection failed, broke, or redirected too often. */
  | 'network'
  /** No response headers within `timeoutMs`, or the body stalled for `idleTimeoutMs`. */
  | 'timeout'
  /** The body was larger than allowed (`maxBytes`, or more than the server announced). */
  | 'too-large'
  /** The caller's AbortSignal fired. */
  | 'aborted';

/** An HTTP request or body read failed; `code` says why, `retryable` whether another try may help. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly code: HttpErrorCode;
  /** The URL (or the name given for it). */
  readonly url: string;
  /** HTTP status, for 'http-status'. */
  readonly status?: number;
  /** True when a later attempt may succeed (network errors, timeouts, 5xx, 429, 408). */
  readonly retryable: boolean;
  /** Requests made. */
  readonly attempts: number;

  constructor(
    code: HttpErrorCode,
    url: string,
    detail: string,
    init: { status?: number; retryable?: boolean; attempts?: number; cause?: unknown } = {},
  ) {
    super(`${url}: ${detail}`, { cause: init.cause });
    this.code = code;
    this.url = url;
    if (init.status !== undefined) this.status = init.status;
    this.retryable = init.retryable ?? (code === 'network' || code === 'timeout');
    this.attempts = init.attempts ?? 1;
  }
}

/** A parsed `Content-Range` header: `bytes start-end/total`, `bytes *\/total`. */
export interface ContentRange {
  start?: number;
  end?: number;
  total?: number;
}

const CONTENT_RANGE = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i;

/** Parses a `Content-Range` header; undefined when absent or malformed. */
export function parseContentRange(header: string | null): ContentRange | undefined {
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

/** The `Range` header value for `length` bytes at `offset` (open-ended when length is omitted). */
export function rangeHeader(offset: number, length?: number): string {
  return length === undefined ? `bytes=${offset}-` : `bytes=${offset}-${offset + length - 1}`;
}

/** `Content-Length` as a number, or null when absent, malformed or meaningless (compressed body). */
export function contentLength(response: Response): number | null {
  const encoding = response.headers.get('content-encoding');
  if (encoding !== null && encoding.trim().toLowerCase() !== 'identity') return null;
  const header = response.headers.get('content-length');
  if (header === null || !/^\d+$/.test(header.trim())) return null;
  return Number(header.trim());
}

/** Statuses worth another try: timeouts, rate limits, server errors. 404 and other 4xx are final. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** Cancels a body that is not needed, ignoring errors. */
export async function discardBody(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // the body is not needed
  }
}

/** Waits `ms`, or rejects with the signal's reason when it fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Backoff before retry number `attempt` (1-based): base * 2^(attempt-1), at most 30 s. */
export function backoffMs(attempt: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** (attempt - 1), 30_000);
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

/** Options of {@link httpRequest}. */
export interface HttpRequestOptions {
  /** The fetch implementation (default: `globalThis.fetch`). */
  fetch?: typeof fetch;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Most milliseconds to wait for the response headers (default 30,000). */
  timeoutMs?: number;
  /** Name for messages (default: the URL). */
  name?: string;
}

/**
 * One request. Resolves with the response whatever its status; rejects with HttpError
 * 'timeout' (no headers in time), 'aborted' (the signal), or 'network' (connection failure; a
 * redirect loop is not retryable).
 */
export async function httpRequest(
  url: string,
  options: HttpRequestOptions = {},
): Promise<Response> {
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const name = options.name ?? url;
  const controller = new AbortController();
  const forward = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) forward();
  options.signal?.addEventListener('abort', forward, { once: true });
  let timedOut = false;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`no response within ${timeoutMs} ms`));
  }, timeoutMs);
  try {
    return await fetchImpl(url, {
      headers: options.headers,
      signal: controller.signal,
      redirect: 'follow',
    });
  } catch (error) {
    if (options.signal?.aborted) {
      throw new HttpError('aborted', name, 'aborted', { cause: options.signal.reason });
    }
    if (timedOut) {
      throw new HttpError('timeout', name, `no response headers within ${timeoutMs} ms`, {
        cause: error,
      });
    }
    const text = messageOf(error);
    const redirectLoop = /redirect/i.test(text);
    throw new HttpError('network', name, `request failed: ${text}`, {
      retryable: !redirectLoop,
      cause: error,
    });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', forward);
  }
}

/** Options of {@link withRetry}. */
export interface RetryOptions {
  /** Retries after the first attempt (default 3). */
  retries?: number;
  /** First backoff delay, doubled each retry (default 500 ms; at most 30 s). */
  retryDelayMs?: number;
  signal?: AbortSignal;
  /** Whether an error is worth another attempt (default: HttpError's `retryable`). */
  isRetryable?: (error: unknown) => boolean;
}

/**
 * Runs `attempt(n)` (n from 1) until it resolves, retrying retryable failures with exponential
 * backoff up to `retries` times; the last failure is rethrown. The signal stops the waiting.
 */
export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const retries = options.retries ?? 3;
  const isRetryable =
    options.isRetryable ?? ((e: unknown) => e instanceof HttpError && e.retryable);
  for (let n = 1; ; n += 1) {
    try {
      return await attempt(n);
    } catch (error) {
      if (options.signal?.aborted || n > retries || !isRetryable(error)) throw error;
      await sleep(backoffMs(n, options.retryDelayMs ?? 500), options.signal);
    }
  }
}

/**
 * A request retried (with backoff) on network errors, timeouts and retryable statuses (5xx, 429,
 * 408). Resolves with the first response that is not a retryable status, or the last one.
 */
export async function httpRequestWithRetry(
  url: string,
  options: HttpRequestOptions & RetryOptions = {},
): Promise<Response> {
  const retries = options.retries ?? 3;
  return withRetry(async (n) => {
    const response = await httpRequest(url, options);
    if (isRetryableStatus(response.status) && n <= retries) {
      await discardBody(response);
      throw new HttpError('http-status', options.name ?? url, `HTTP ${response.status}`, {
        status: response.status,
        retryable: true,
        attempts: n,
      });
    }
    return response;
  }, options);
}

/** Options of {@link readChunks} and {@link readBody}. */
export interface ReadBodyOptions {
  /** Most bytes accepted; more is HttpError 'too-large' (default: no limit for readChunks). */
  maxBytes?: number;
  /** Most milliseconds without a chunk before HttpError 'timeout' (default 60,000). */
  idleTimeoutMs?: number;
  signal?: AbortSignal;
  /** Name for messages (default: the response URL). */
  name?: string;
}

/**
 * The body's chunks, with a stall timeout and a size cap: a server that stops sending, or sends
 * more than `maxBytes`, is cut off (the body is cancelled) with an HttpError.
 */
export async function* readChunks(
  response: Response,
  options: ReadBodyOptions = {},
): AsyncGenerator<Uint8Array> {
  if (response.body === null) return;
  const name = options.name ?? (response.url || 'response');
  const idle = options.idleTimeoutMs ?? 60_000;
  const max = options.maxBytes ?? Infinity;
  const reader = response.body.getReader();
  let total = 0;
  let finished = false;
  try {
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let onAbort: (() => void) | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new HttpError('timeout', name, `the body stalled: no data for ${idle} ms`)),
          idle,
        );
        onAbort = () =>
          reject(new HttpError('aborted', name, 'aborted', { cause: options.signal?.reason }));
        if (options.signal?.aborted) onAbort();
        options.signal?.addEventListener('abort', onAbort, { once: true });
      });
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await Promise.race([reader.read(), stalled]);
      } catch (error) {
        if (error instanceof HttpError) throw error;
        throw new HttpError('network', name, `connection broke: ${messageOf(error)}`, {
          cause: error,
        });
      } finally {
        clearTimeout(timer);
        if (onAbort) options.signal?.removeEventListener('abort', onAbort);
      }
      if (chunk.done) {
        finished = true;
        return;
      }
      total += chunk.value.byteLength;
      if (total > max) {
        throw new HttpError('too-large', name, `the body is larger than ${max} bytes`, {
          retryable: false,
        });
      }
      yield chunk.value;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** The whole body in memory, bounded by `maxBytes` and the stall timeout (see readChunks). */
export async function readBody(
  response: Response,
  options: ReadBodyOptions = {},
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of readChunks(response, options)) {
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
