/** Typed error of checkpoint downloads (isomorphic: shared by the disk and Cache Storage variants). */

/** Why a download failed. */
export type DownloadErrorCode =
  /** The server answered with an error status (404, 500 after the retries, ...). */
  | 'http-status'
  /** The connection failed or broke before any usable answer (after the retries). */
  | 'network'
  /** The body ended before the announced size (after the retries). */
  | 'incomplete'
  /** The server sent no headers in time, or the body stalled (after the retries). */
  | 'timeout'
  /** The body went past `maxBytes` with no size announced (an endless body). */
  | 'too-large'
  /** The downloaded bytes failed a check: size, SHA-256, or the `verify` hook. */
  | 'integrity'
  /** The server's answer makes no sense (bad Content-Range, 416 without a size, ...). */
  | 'bad-response'
  /** Writing the cache failed (disk full, permissions). */
  | 'io'
  /** Another process held the cache lock for longer than `lockTimeoutMs`. */
  | 'lock-timeout'
  /** The caller's `AbortSignal` fired. */
  | 'aborted';

/** Fields of a {@link DownloadError} besides the message. */
export interface DownloadErrorInit {
  /** HTTP status, when the failure was an HTTP answer. */
  status?: number;
  /** Bytes of the file on hand when it failed (part file size, resumed bytes included). */
  receivedBytes?: number;
  /** Requests made. */
  attempts?: number;
  cause?: unknown;
}

/**
 * A checkpoint download failed. `url` names what was asked for, `receivedBytes` how far it
 * got, `code` why (see {@link DownloadErrorCode}).
 */
export class DownloadError extends Error {
  override readonly name = 'DownloadError';
  /** Machine-readable reason. */
  readonly code: DownloadErrorCode;
  /** The URL being downloaded. */
  readonly url: string;
  /** HTTP status, when the failure was an HTTP answer. */
  readonly status?: number;
  /** Bytes of the file on hand when it failed. */
  readonly receivedBytes: number;
  /** Requests made. */
  readonly attempts: number;

  constructor(code: DownloadErrorCode, url: string, reason: string, init: DownloadErrorInit = {}) {
    const received = init.receivedBytes ?? 0;
    const attempts = init.attempts ?? 1;
    const tries = attempts > 1 ? `, ${attempts} attempts` : '';
    super(`download of "${url}" failed: ${reason} (${received} bytes received${tries}) [${code}]`, {
      cause: init.cause,
    });
    this.code = code;
    this.url = url;
    this.receivedBytes = received;
    this.attempts = attempts;
    if (init.status !== undefined) this.status = init.status;
  }
}
