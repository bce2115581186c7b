/**
 * Node-only: download a checkpoint into the disk cache, resumably and safely.
 *
 * Layout in the cache directory, for a file cached at `<final>`:
 * - `<final>.part`: bytes received so far (resumed with `Range: bytes=<size>-`);
 * - `<final>.part.json`: the validators (ETag / Last-Modified) and size of the file the part
 *   belongs to, sent as `If-Range` so a changed file restarts instead of mixing;
 * - `<final>.lock`: held while downloading (see ./lock.ts);
 * - `<final>`: appears only after every check passed, by `rename` in the same directory
 *   (atomic), so a file at the final path is always complete.
 */
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { resolveCacheDir } from './cache-dir';
import { DownloadError, type DownloadErrorCode } from './errors';
import { sha256File } from './file-hash';
import {
  contentLength,
  discardBody,
  HttpError,
  httpRequest,
  isRetryableStatus,
  parseContentRange,
  readChunks,
  withRetry,
} from '../io/http';
import { acquireFileLock, LockTimeoutError } from './lock';
import { throttleProgress, type DownloadProgress, type DownloadProgressCallback } from './progress';
import { resolveCheckpointSource, type DownloadEnv, type ModelUrlOptions } from './source';

/** Options of {@link downloadCheckpoint}. */
export interface DownloadCheckpointOptions extends ModelUrlOptions {
  /** Cache directory (default {@link resolveCacheDir} of `env`). */
  cacheDir?: string;
  /** Environment for `BIT_CACHE_DIR`, `XDG_CACHE_HOME`, `BIT_MODELS_BASE_URL` (default `process.env`). */
  env?: DownloadEnv;
  /** The fetch implementation (default: `globalThis.fetch`). */
  fetch?: typeof fetch;
  /** Extra request headers (e.g. authorization for a private mirror). */
  headers?: Record<string, string>;
  /** Progress events, at most every ~100 ms, plus one at the start of each request and one at the end. */
  onProgress?: DownloadProgressCallback;
  /** Aborts the download (the part file is kept, so a later call resumes). */
  signal?: AbortSignal;
  /** Required size in bytes. */
  expectedSize?: number;
  /** Required SHA-256 (hex), computed over the finished file on disk. */
  sha256?: string;
  /**
   * Structural check of the finished file before it is moved in place (e.g. open the npz
   * and check its central directory and CRCs). Receives the part file's path; a throw fails
   * the download with code 'integrity'.
   */
  verify?: (path: string) => Promise<void>;
  /** Retries after a broken transfer, a network error or a 5xx/429/408. Default 3. 404 is never retried. */
  retries?: number;
  /** First backoff delay; doubled each retry. Default 500 ms. */
  retryDelayMs?: number;
  /** Most ms to wait for the response headers of a request (default 30,000); then retried. */
  timeoutMs?: number;
  /** Most ms the body may stall without data (default 60,000); then retried with Range. */
  idleTimeoutMs?: number;
  /**
   * Most bytes accepted when neither the server nor `expectedSize` gives the size (an endless
   * body is cut off there). Default 16 GiB (the largest official checkpoint is 3.7 GB).
   */
  maxBytes?: number;
  /** Download again even when cached (a part file is discarded too). */
  force?: boolean;
  /**
   * Run `sha256` and `verify` on a cached file too before trusting it (default false: a file
   * at the final path was checked when it was written). A cached file that fails is replaced.
   */
  recheck?: boolean;
  /** Give up waiting for another download's lock after this long (default: no limit while it lives). */
  lockTimeoutMs?: number;
  /** A lock not refreshed for this long is stale. Default 120 000 ms. */
  staleLockMs?: number;
  /** How often a busy lock is looked at. Default 200 ms. */
  lockPollMs?: number;
}

/** What {@link downloadCheckpoint} resolves to. */
export interface DownloadResult {
  /** Path of the checkpoint in the cache. */
  path: string;
  /** Its size in bytes. */
  bytes: number;
  /** True when no bytes were fetched (already cached, or fetched meanwhile by another download). */
  fromCache: boolean;
  /** The URL it comes from. */
  url: string;
}

/** A failure inside one attempt; turned into a DownloadError at the top. */
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

interface PartMeta {
  url: string;
  etag: string | null;
  lastModified: string | null;
  total: number | null;
}

interface Context {
  name: string;
  url: string;
  finalPath: string;
  partPath: string;
  metaPath: string;
  options: DownloadCheckpointOptions;
  fetchImpl: typeof fetch;
  report: (event: DownloadProgress, force?: boolean) => void;
  /** Bytes on disk when the latest request started (for the final progress event). */
  resumedFrom: number;
}

function message(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

function abortedError(ctx: Context, cause: unknown, received: number): DownloadError {
  return new DownloadError('aborted', ctx.url, 'aborted', { cause, receivedBytes: received });
}

/** Throws the DownloadError('aborted') when the caller's signal fired. */
async function throwIfAborted(ctx: Context): Promise<void> {
  const signal = ctx.options.signal;
  if (signal?.aborted) throw abortedError(ctx, signal.reason, (await fileSize(ctx.partPath)) ?? 0);
}

async function readMeta(path: string): Promise<PartMeta | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as PartMeta;
  } catch {
    return undefined;
  }
}

/** Checks of a finished file: size, SHA-256, the verify hook. Throws a Failure('integrity'). */
async function checkFile(
  ctx: Context,
  path: string,
  size: number,
  total: number | null,
): Promise<void> {
  const { expectedSize, sha256, verify, signal } = ctx.options;
  if (total !== null && size !== total) {
    throw new Failure('integrity', false, `file has ${size} bytes, the server announced ${total}`);
  }
  if (expectedSize !== undefined && size !== expectedSize) {
    throw new Failure('integrity', false, `file has ${size} bytes, expected ${expectedSize}`);
  }
  if (sha256 !== undefined) {
    const actual = await sha256File(path, signal);
    if (actual !== sha256.trim().toLowerCase()) {
      throw new Failure(
        'integrity',
        false,
        `SHA-256 ${actual} differs from the expected ${sha256}`,
      );
    }
  }
  if (verify !== undefined) {
    try {
      await verify(path);
    } catch (error) {
      throw new Failure('integrity', false, `verify failed: ${message(error)}`, undefined, {
        cause: error,
      });
    }
  }
}

/** The cached file when it is there (and passes the checks asked for), else undefined. */
async function cachedResult(ctx: Context): Promise<DownloadResult | undefined> {
  const size = await fileSize(ctx.finalPath);
  if (size === undefined) return undefined;
  const { expectedSize, recheck } = ctx.options;
  if (expectedSize !== undefined && size !== expectedSize) return undefined;
  if (recheck) {
    try {
      await checkFile(ctx, ctx.finalPath, size, null);
    } catch (error) {
      if (error instanceof Failure) return undefined;
      throw error;
    }
  }
  return { path: ctx.finalPath, bytes: size, fromCache: true, url: ctx.url };
}

/** Writes all of `bytes` through `handle` (a write may be partial). */
async function writeAll(
  handle: import('node:fs/promises').FileHandle,
  bytes: Uint8Array,
): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset);
    offset += bytesWritten;
  }
}

/** Streams the body of `response` into the part file (appending after `offset` bytes, or from 0). */
async function receive(
  ctx: Context,
  response: Response,
  offset: number,
  total: number | null,
): Promise<void> {
  let handle: import('node:fs/promises').FileHandle;
  try {
    handle = await open(ctx.partPath, offset > 0 ? 'a' : 'w');
  } catch (error) {
    await discardBody(response);
    throw new Failure('io', false, `cannot write "${ctx.partPath}": ${message(error)}`, undefined, {
      cause: error,
    });
  }
  let received = offset;
  ctx.resumedFrom = offset;
  const event = (): DownloadProgress => ({
    name: ctx.name,
    url: ctx.url,
    receivedBytes: received,
    totalBytes: total,
    resumedFrom: offset,
  });
  ctx.report(event(), true);
  // The body may not exceed the announced size (or, with none, expectedSize / maxBytes).
  const cap = total ?? ctx.options.expectedSize ?? ctx.options.maxBytes ?? 16 * 1024 ** 3;
  try {
    const chunks = readChunks(response, {
      maxBytes: cap - offset,
      name: ctx.url,
      ...(ctx.options.signal ? { signal: ctx.options.signal } : {}),
      ...(ctx.options.idleTimeoutMs !== undefined
        ? { idleTimeoutMs: ctx.options.idleTimeoutMs }
        : {}),
    });
    for (;;) {
      let chunk: IteratorResult<Uint8Array>;
      try {
        chunk = await chunks.next();
      } catch (error) {
        await throwIfAborted(ctx);
        if (error instanceof HttpError && error.code === 'too-large') {
          throw new Failure(
            total !== null ? 'integrity' : 'too-large',
            false,
            total !== null
              ? `server sent more than the announced ${total} bytes`
              : `the body is larger than ${cap} bytes (maxBytes)`,
          );
        }
        throw failureOf(error);
      }
      if (chunk.done) break;
      try {
        await writeAll(handle, chunk.value);
      } catch (error) {
        await chunks.return(undefined).catch(() => undefined);
        throw new Failure(
          'io',
          false,
          `cannot write "${ctx.partPath}": ${message(error)}`,
          undefined,
          {
            cause: error,
          },
        );
      }
      received += chunk.value.byteLength;
      ctx.report(event());
    }
  } finally {
    await handle.close();
  }
  if (total !== null && received < total) {
    throw new Failure('incomplete', true, `body ended after ${received} of ${total} bytes`);
  }
}

/**
 * One request: resume the part file with Range when there is one, else start fresh.
 * Resolves to the file's total size (null when unknown) once the part holds the whole body.
 */
async function transfer(ctx: Context): Promise<number | null> {
  let offset = (await fileSize(ctx.partPath)) ?? 0;
  let meta = offset > 0 ? await readMeta(ctx.metaPath) : undefined;
  // Restarting from zero (the server refused the range) happens at most once per attempt.
  for (let pass = 0; ; pass += 1) {
    const headers: Record<string, string> = {
      ...ctx.options.headers,
      'accept-encoding': 'identity',
    };
    if (offset > 0) {
      headers.range = `bytes=${offset}-`;
      const strongEtag = meta?.etag && !meta.etag.startsWith('W/') ? meta.etag : null;
      const validator = strongEtag ?? meta?.lastModified ?? null;
      if (validator !== null) headers['if-range'] = validator;
    }
    let response: Response;
    try {
      response = await httpRequest(ctx.url, {
        fetch: ctx.fetchImpl,
        headers,
        ...(ctx.options.signal ? { signal: ctx.options.signal } : {}),
        ...(ctx.options.timeoutMs !== undefined ? { timeoutMs: ctx.options.timeoutMs } : {}),
      });
    } catch (error) {
      await throwIfAborted(ctx);
      throw failureOf(error);
    }
    const restart = async (why: string, status: number): Promise<boolean> => {
      await discardBody(response);
      if (offset === 0 || pass > 0) throw new Failure('bad-response', false, why, status);
      await writeFile(ctx.partPath, new Uint8Array(0));
      await removeQuietly(ctx.metaPath);
      offset = 0;
      meta = undefined;
      return true;
    };

    if (response.status === 416) {
      const total = parseContentRange(response.headers.get('content-range'))?.total;
      if (offset > 0 && total !== undefined && offset === total) {
        await discardBody(response);
        ctx.resumedFrom = offset;
        return total; // the part file is already complete
      }
      if (await restart(`server answered 416 (range not satisfiable) for bytes=${offset}-`, 416))
        continue;
    }
    if (!response.ok) {
      await discardBody(response);
      const text = `server answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
      throw new Failure('http-status', isRetryableStatus(response.status), text, response.status);
    }

    let total: number | null;
    if (response.status === 206) {
      const range = parseContentRange(response.headers.get('content-range'));
      if (range?.start === undefined) {
        await discardBody(response);
        throw new Failure('bad-response', false, `206 with a bad Content-Range`, 206);
      }
      const knownTotal = meta?.total ?? null;
      const changed =
        knownTotal !== null && range.total !== undefined && range.total !== knownTotal;
      if (range.start !== offset || changed) {
        if (await restart(`206 for bytes ${range.start}- when bytes=${offset}- was asked`, 206))
          continue;
      }
      total = range.total ?? null;
    } else {
      // 200: the whole file, from the start (the server ignored Range, or If-Range failed).
      offset = 0;
      total = contentLength(response);
      const fresh: PartMeta = {
        url: ctx.url,
        etag: response.headers.get('etag'),
        lastModified: response.headers.get('last-modified'),
        total,
      };
      await writeFile(ctx.metaPath, JSON.stringify(fresh)).catch(() => undefined);
    }
    const expected = ctx.options.expectedSize;
    if (expected !== undefined && total !== null && total !== expected) {
      await discardBody(response);
      throw new Failure(
        'integrity',
        false,
        `server announces ${total} bytes, expected ${expected}`,
      );
    }
    await receive(ctx, response, offset, total);
    return total;
  }
}

/** Checks the finished part file and moves it in place. */
async function finish(ctx: Context, total: number | null): Promise<DownloadResult> {
  const size = (await fileSize(ctx.partPath)) ?? 0;
  ctx.report(
    {
      name: ctx.name,
      url: ctx.url,
      receivedBytes: size,
      totalBytes: total ?? size,
      resumedFrom: ctx.resumedFrom,
    },
    true,
  );
  await checkFile(ctx, ctx.partPath, size, total);
  try {
    await rename(ctx.partPath, ctx.finalPath);
  } catch (error) {
    throw new Failure(
      'io',
      false,
      `cannot move the download to "${ctx.finalPath}": ${message(error)}`,
      undefined,
      {
        cause: error,
      },
    );
  }
  await removeQuietly(ctx.metaPath);
  return { path: ctx.finalPath, bytes: size, fromCache: false, url: ctx.url };
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

/** The attempt loop (the lock is held): retries with backoff through the HTTP module. */
async function downloadLocked(ctx: Context): Promise<DownloadResult> {
  let attempts = 0;
  try {
    return await withRetry(
      async (n) => {
        attempts = n;
        await throwIfAborted(ctx);
        try {
          return await finish(ctx, await transfer(ctx));
        } catch (error) {
          if (error instanceof Failure && error.code === 'integrity') {
            await removeQuietly(ctx.partPath);
            await removeQuietly(ctx.metaPath);
          }
          throw error;
        }
      },
      {
        retries: ctx.options.retries ?? 3,
        retryDelayMs: ctx.options.retryDelayMs ?? 500,
        ...(ctx.options.signal ? { signal: ctx.options.signal } : {}),
        isRetryable: (e) => e instanceof Failure && e.retryable,
      },
    );
  } catch (error) {
    const received = (await fileSize(ctx.partPath)) ?? 0;
    if (ctx.options.signal?.aborted) throw abortedError(ctx, ctx.options.signal.reason, received);
    if (!(error instanceof Failure)) throw error;
    throw new DownloadError(error.code, ctx.url, error.message, {
      status: error.status,
      receivedBytes: received,
      attempts,
      cause: error.cause,
    });
  }
}

/**
 * Downloads a checkpoint into the disk cache and resolves to its path there.
 *
 * `nameOrUrl` is a zoo name (`BiT-M-R50x1`), a path relative to the base URL
 * (`distill/R50x1_224.npz`) or an absolute URL (see `resolveCheckpointSource`). The base URL
 * is `baseUrl`, else env `BIT_MODELS_BASE_URL`, else the official bucket; the cache
 * directory is `cacheDir`, else {@link resolveCacheDir}.
 *
 * A cached file is returned at once (`fromCache: true`). Otherwise the bytes stream to
 * `<final>.part` (never held in memory); a broken transfer keeps the part and is resumed with
 * `Range` up to `retries` times with backoff; a server that ignores Range restarts the part.
 * Before the part is renamed in place, its size must match the server's size (and
 * `expectedSize`), its SHA-256 `sha256`, and `verify` must pass; a failed check deletes the
 * part (DownloadError code 'integrity'). Concurrent downloads of the same file (threads of
 * one process or several processes) serialise on `<final>.lock`; the later ones find the
 * file cached. Errors are {@link DownloadError}s naming the URL, the status and bytes received.
 */
export async function downloadCheckpoint(
  nameOrUrl: string,
  options: DownloadCheckpointOptions = {},
): Promise<DownloadResult> {
  const env = options.env ?? process.env;
  const source = resolveCheckpointSource(nameOrUrl, { baseUrl: options.baseUrl, env });
  const cacheDir = options.cacheDir ?? resolveCacheDir(env);
  const finalPath = join(cacheDir, ...source.cachePath.split('/'));
  const ctx: Context = {
    name: source.name,
    url: source.url,
    finalPath,
    partPath: `${finalPath}.part`,
    metaPath: `${finalPath}.part.json`,
    options,
    fetchImpl: options.fetch ?? globalThis.fetch,
    report: throttleProgress(options.onProgress),
    resumedFrom: 0,
  };

  if (!options.force) {
    const hit = await cachedResult(ctx);
    if (hit) return hit;
  }
  try {
    await mkdir(dirname(finalPath), { recursive: true });
  } catch (error) {
    throw new DownloadError(
      'io',
      ctx.url,
      `cannot create "${dirname(finalPath)}": ${message(error)}`,
      {
        cause: error,
      },
    );
  }
  let lock;
  try {
    lock = await acquireFileLock(`${finalPath}.lock`, {
      staleMs: options.staleLockMs,
      pollMs: options.lockPollMs,
      timeoutMs: options.lockTimeoutMs,
      signal: options.signal,
    });
  } catch (error) {
    if (options.signal?.aborted) throw abortedError(ctx, options.signal.reason, 0);
    if (error instanceof LockTimeoutError) {
      throw new DownloadError('lock-timeout', ctx.url, error.message, { cause: error });
    }
    throw new DownloadError('io', ctx.url, `cannot lock "${finalPath}.lock": ${message(error)}`, {
      cause: error,
    });
  }
  try {
    if (options.force) {
      await removeQuietly(ctx.partPath);
      await removeQuietly(ctx.metaPath);
    } else {
      // Another download may have finished while this one waited for the lock.
      const hit = await cachedResult(ctx);
      if (hit) return hit;
    }
    return await downloadLocked(ctx);
  } finally {
    await lock.release();
  }
}
