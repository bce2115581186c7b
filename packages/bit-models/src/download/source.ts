/**
 * Where a checkpoint comes from and where it goes in a cache (isomorphic: no Node modules).
 */
import { getModelEntry, hasModel, OFFICIAL_BASE_URL, type ZooEntry } from '../zoo/registry';

/** Environment variables read by the download helpers (`process.env` shape). */
export type DownloadEnv = Readonly<Record<string, string | undefined>>;

/** `process.env` where there is one (Node), else an empty object (browsers). */
export function defaultEnv(): DownloadEnv {
  const proc = (globalThis as { process?: { env?: DownloadEnv } }).process;
  return proc?.env ?? {};
}

/** Options of {@link modelUrl} and {@link resolveCheckpointSource}. */
export interface ModelUrlOptions {
  /** Base URL of the checkpoints (a mirror); wins over `BIT_MODELS_BASE_URL`. */
  baseUrl?: string;
  /** Environment to read `BIT_MODELS_BASE_URL` from (default: `process.env` in Node, none in browsers). */
  env?: DownloadEnv;
}

const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:\/\//i;

/** True for `http://...`, `https://...` and other `scheme://` URLs. */
export function isAbsoluteUrl(value: string): boolean {
  return ABSOLUTE_URL.test(value);
}

/**
 * The base URL in effect: `options.baseUrl`, else env `BIT_MODELS_BASE_URL`, else
 * {@link OFFICIAL_BASE_URL}; always with exactly one trailing slash.
 */
export function resolveBaseUrl(options: ModelUrlOptions = {}): string {
  const env = options.env ?? defaultEnv();
  const fromEnv = env.BIT_MODELS_BASE_URL;
  const base =
    options.baseUrl !== undefined && options.baseUrl !== ''
      ? options.baseUrl
      : fromEnv !== undefined && fromEnv.trim() !== ''
        ? fromEnv.trim()
        : OFFICIAL_BASE_URL;
  return `${base.replace(/\/+$/, '')}/`;
}

/** Joins a base URL and a relative path with exactly one slash between them. */
export function joinUrl(base: string, relative: string): string {
  return `${base.replace(/\/+$/, '')}/${relative.replace(/^\/+/, '')}`;
}

/**
 * The download URL of a zoo entry (or of the entry named `entryOrName`): the entry's URL
 * when it is absolute, else the entry's relative path under the base URL
 * (see {@link resolveBaseUrl}). Throws `UnknownModelError` for an unknown name.
 */
export function modelUrl(entryOrName: ZooEntry | string, options: ModelUrlOptions = {}): string {
  const entry = typeof entryOrName === 'string' ? getModelEntry(entryOrName) : entryOrName;
  return isAbsoluteUrl(entry.url) ? entry.url : joinUrl(resolveBaseUrl(options), entry.url);
}

/** A resolved download: what to fetch and where it goes inside a cache directory. */
export interface CheckpointSource {
  /** Short name for progress and messages (the zoo name, or the URL's file name). */
  name: string;
  /** Absolute URL to fetch. */
  url: string;
  /** Path inside the cache, as safe `/`-separated segments (e.g. `distill/R50x1_224.npz`). */
  cachePath: string;
  /** The zoo entry, when `nameOrUrl` named one. */
  entry?: ZooEntry;
}

/** One URL path segment made safe as a file name (no separators, no `..`, no odd characters). */
function safeSegment(segment: string): string {
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    // keep the raw segment
  }
  const cleaned = decoded.replace(/[^A-Za-z0-9._+=@,-]/g, '_');
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? '_' : cleaned;
}

/** `/`-separated safe path from a relative URL path (query and fragment dropped). */
export function safeCachePath(relative: string): string {
  const path = relative.split(/[?#]/, 1)[0] ?? '';
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.length === 0) return 'download';
  return segments.map(safeSegment).join('/');
}

/** Cache path of an absolute URL: below the base URL its relative path, else `<host>/<path>`. */
function cachePathOfUrl(url: string, base: string): string {
  if (url.startsWith(base)) return safeCachePath(url.slice(base.length));
  const parsed = new URL(url);
  const host = parsed.port === '' ? parsed.hostname : `${parsed.hostname}_${parsed.port}`;
  return `${safeSegment(host)}/${safeCachePath(parsed.pathname)}`;
}

/**
 * Resolves what {@link downloadCheckpoint} (or the Cache Storage variant) is asked for:
 * - an absolute URL is used as it is; in the cache it goes under its path relative to the
 *   base URL when it lies below it, else under `<host>[_port]/<path>`;
 * - a zoo name (see `listModels`) becomes {@link modelUrl}; it is cached under the entry's
 *   relative path (so the official origin and a mirror share one cache);
 * - anything with a `/` or ending in `.npz` is a path relative to the base URL;
 * - anything else must be a zoo name (else `UnknownModelError`).
 * Query strings are not part of cache paths (signed URLs change their query every time).
 */
export function resolveCheckpointSource(
  nameOrUrl: string,
  options: ModelUrlOptions = {},
): CheckpointSource {
  const base = resolveBaseUrl(options);
  if (isAbsoluteUrl(nameOrUrl)) {
    const cachePath = cachePathOfUrl(nameOrUrl, base);
    return { name: cachePath.slice(cachePath.lastIndexOf('/') + 1), url: nameOrUrl, cachePath };
  }
  if (hasModel(nameOrUrl) || !(nameOrUrl.includes('/') || /\.npz$/i.test(nameOrUrl))) {
    const entry = getModelEntry(nameOrUrl);
    const url = modelUrl(entry, options);
    const cachePath = isAbsoluteUrl(entry.url)
      ? cachePathOfUrl(entry.url, base)
      : safeCachePath(entry.url);
    return { name: entry.name, url, cachePath, entry };
  }
  const cachePath = safeCachePath(nameOrUrl);
  return {
    name: cachePath.slice(cachePath.lastIndexOf('/') + 1),
    url: joinUrl(base, nameOrUrl),
    cachePath,
  };
}
