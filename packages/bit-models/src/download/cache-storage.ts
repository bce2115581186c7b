/**
 * Browser variant of the checkpoint download: the file goes into the Cache Storage API
 * (`caches.open(cacheName)`), keyed by its URL, and comes back as a `Blob` that
 * `BlobByteSource` reads piecewise (browsers back Cache Storage blobs by disk, so a
 * multi-GB checkpoint is not held in memory). Isomorphic: no Node modules.
 *
 * No resume here: Cache Storage cannot append to a stored entry, so a broken transfer is
 * retried from the start (up to `retries` times). Nothing is stored unless the whole body
 * arrived and passed the checks.
 */
import { DownloadError, type DownloadErrorCode } from './errors';
import {
  contentLength,
  discardBody,
  HttpError,
  httpRequest,
  isRetryableStatus,
  readChunks,
  withRetry,
} from '../io/http';
import { throttleProgress, type DownloadProgress, type DownloadProgressCallback } from './progress';

/** The part of the Cache Storage API used here (`window.caches` satisfies it). */
export interface CacheStorageLike {
  open(cacheName: string): Promise<CacheLike>;
}

/** The part of a `Cache` used here. */
export interface CacheLike {
  match(request: string): Promise<Response | undefined>;
  put(request: string, response: Response): Promise<void>;
  delete(request: string): Promise<boolean>;
}

/** Options of {@link downloadToCacheStorage}. */
export interface CacheStorageDownloadOptions {
  /** Cache name. Default `'bit-models'`. */
  cacheName?: string;
  /** The Cache Storage (default `globalThis.caches`; needs a secure context in browsers). */
  caches?: CacheStorageLike;
  /** The fetch implementation (default: `globalThis.fetch`). */
  fetch?: typeof fetch;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Progress events, at most every ~100 ms, plus one at the start and one at the end. */
  onProgress?: DownloadProgressCallback;
  signal?: AbortSignal;
  /** Required size in bytes (a cached entry of another size is fetched again). */
  expectedSize?: number;
  /** Structural check of the downloaded blob (e.g. the npz reader over a BlobByteSource). */
  verify?: (blob: Blob) => Promise<void>;
  /** Retries (from the start) after a network error or a 5xx/429/408. Default 3. */
  retries?: number;
  /** First backoff delay; doubled each retry. Default 500 ms. */
  retryDelayMs?: number;
  /** Most ms to wait for the response headers (default 30,000). */
  timeoutMs?: number;
  /** Most ms the body may stall (default 60,000). */
  idleTimeoutMs?: number;
  /** Most bytes accepted when no size is announced or expected (default 16 GiB). */
  maxBytes?: number;
  /** Fetch again even when cached. */
  force?: boolean;
  /** Name in progress events (default: the URL's file name). */
  name?: string;
}

class Failure extends Error {
  constructor(
    readonly code: DownloadErrorCode,
    readonly retryable: boolean,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An HttpError from the HTTP module as an attempt's Failure. */
function failureOf(error: unknown): Failure {
  if (error instanceof HttpError) {
    const code: DownloadErrorCode =
      error.code === 'timeout' ? 'timeout' : error.code === 'aborted' ? 'aborted' : 'network';
    return new Failure(code, error.retryable, error.message, error.status, { cause: error });
  }
  return new Failure('network', true, message(error), undefined, { cause: error });
}

/** Headers worth keeping on the stored response (not the transfer-specific ones). */
function storedHeaders(response: Response): Headers {
  const headers = new Headers();
  for (const name of ['content-type', 'etag', 'last-modified']) {
    const value = response.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  return headers;
}

/**
 * Downloads `url` into Cache Storage (unless it is there already) and resolves to the
 * cached body as a `Blob`. Errors are `DownloadError`s (HTTP status, network, integrity:
 * size or `verify`, aborted); 404 is not retried.
 */
export async function downloadToCacheStorage(
  url: string,
  options: CacheStorageDownloadOptions = {},
): Promise<Blob> {
  const storage = options.caches ?? (globalThis as { caches?: CacheStorageLike }).caches;
  if (storage === undefined) {
    throw new DownloadError(
      'io',
      url,
      'Cache Storage is not available here (no `caches`; browsers need a secure context)',
    );
  }
  const cache = await storage.open(options.cacheName ?? 'bit-models');
  const { expectedSize, signal } = options;
  if (!options.force) {
    const hit = await cache.match(url);
    if (hit !== undefined) {
      const blob = await hit.blob();
      if (expectedSize === undefined || blob.size === expectedSize) return blob;
    }
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const report = throttleProgress(options.onProgress);
  const name = options.name ?? (url.split(/[?#]/, 1)[0] ?? url).split('/').pop() ?? url;
  const retries = options.retries ?? 3;
  let received = 0;

  const attemptOnce = async (): Promise<Blob> => {
    let response: Response;
    try {
      response = await httpRequest(url, {
        fetch: fetchImpl,
        ...(options.headers ? { headers: options.headers } : {}),
        ...(signal ? { signal } : {}),
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      });
    } catch (error) {
      throw failureOf(error);
    }
    if (!response.ok || response.status !== 200) {
      await discardBody(response);
      const retryable = isRetryableStatus(response.status);
      throw new Failure(
        'http-status',
        retryable,
        `server answered HTTP ${response.status}`,
        response.status,
      );
    }
    const total = contentLength(response);
    if (expectedSize !== undefined && total !== null && total !== expectedSize) {
      await discardBody(response);
      throw new Failure(
        'integrity',
        false,
        `server announces ${total} bytes, expected ${expectedSize}`,
      );
    }
    received = 0;
    const event = (): DownloadProgress => ({
      name,
      url,
      receivedBytes: received,
      totalBytes: total,
      resumedFrom: 0,
    });
    report(event(), true);
    // The body through the HTTP module: cut off when it stalls or runs past the size it may have.
    const chunks = readChunks(response, {
      maxBytes: total ?? expectedSize ?? options.maxBytes ?? 16 * 1024 ** 3,
      name: url,
      ...(signal ? { signal } : {}),
      ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    });
    let bodyError: unknown;
    const body =
      response.body === null
        ? null
        : new ReadableStream<Uint8Array>({
            async pull(controller) {
              try {
                const next = await chunks.next();
                if (next.done) {
                  controller.close();
                  return;
                }
                received += next.value.byteLength;
                report(event());
                controller.enqueue(next.value);
              } catch (error) {
                bodyError = error;
                controller.error(error);
              }
            },
            async cancel() {
              await chunks.return(undefined);
            },
          });
    try {
      await cache.put(url, new Response(body, { status: 200, headers: storedHeaders(response) }));
    } catch (error) {
      await cache.delete(url).catch(() => false);
      if (bodyError instanceof HttpError && bodyError.code === 'too-large') {
        throw new Failure('too-large', false, bodyError.message, undefined, { cause: bodyError });
      }
      if (bodyError !== undefined) throw failureOf(bodyError);
      throw new Failure('network', true, `transfer broke: ${message(error)}`, undefined, {
        cause: error,
      });
    }
    const stored = await cache.match(url);
    const blob = stored === undefined ? undefined : await stored.blob();
    if (blob === undefined) throw new Failure('io', false, 'the entry vanished from Cache Storage');
    if (total !== null && blob.size !== total) {
      await cache.delete(url).catch(() => false);
      throw new Failure('incomplete', true, `stored ${blob.size} of ${total} bytes`);
    }
    if (expectedSize !== undefined && blob.size !== expectedSize) {
      await cache.delete(url).catch(() => false);
      throw new Failure(
        'integrity',
        false,
        `file has ${blob.size} bytes, expected ${expectedSize}`,
      );
    }
    if (options.verify !== undefined) {
      try {
        await options.verify(blob);
      } catch (error) {
        await cache.delete(url).catch(() => false);
        throw new Failure('integrity', false, `verify failed: ${message(error)}`, undefined, {
          cause: error,
        });
      }
    }
    received = blob.size;
    report({ name, url, receivedBytes: blob.size, totalBytes: blob.size, resumedFrom: 0 }, true);
    return blob;
  };

  let attempts = 0;
  try {
    return await withRetry(
      async (n) => {
        attempts = n;
        if (signal?.aborted) throw signal.reason;
        return await attemptOnce();
      },
      {
        retries,
        retryDelayMs: options.retryDelayMs ?? 500,
        ...(signal ? { signal } : {}),
        isRetryable: (e) => e instanceof Failure && e.retryable,
      },
    );
  } catch (error) {
    if (signal?.aborted) {
      throw new DownloadError('aborted', url, 'aborted', {
        cause: signal.reason,
        receivedBytes: received,
      });
    }
    if (!(error instanceof Failure)) throw error;
    throw new DownloadError(error.code, url, error.message, {
      status: error.status,
      receivedBytes: received,
      attempts,
      cause: error.cause,
    });
  }
}
