/** Small HTTP helpers shared by the download variants (isomorphic). */

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
