/** Progress events of downloads and their throttling (isomorphic). */

/** One progress report of a download. */
export interface DownloadProgress {
  /** Zoo name or file name. */
  name: string;
  /** URL being downloaded. */
  url: string;
  /** Bytes of the file on hand, resumed bytes included. */
  receivedBytes: number;
  /** Size of the whole file, or null when the server does not say. */
  totalBytes: number | null;
  /** Bytes already on disk when this request started (0 for a fresh start). */
  resumedFrom: number;
}

/** Callback receiving {@link DownloadProgress} events. */
export type DownloadProgressCallback = (event: DownloadProgress) => void;

/** Default minimum time between two progress events. */
export const PROGRESS_INTERVAL_MS = 100;

/**
 * Wraps a progress callback so it fires at most every `intervalMs`, except for
 * `report(event, true)` (start, end), which always fires.
 */
export function throttleProgress(
  callback: DownloadProgressCallback | undefined,
  intervalMs = PROGRESS_INTERVAL_MS,
): (event: DownloadProgress, force?: boolean) => void {
  let last = -Infinity;
  return (event, force = false) => {
    if (callback === undefined) return;
    const now = Date.now();
    if (!force && now - last < intervalMs) return;
    last = now;
    callback(event);
  };
}
