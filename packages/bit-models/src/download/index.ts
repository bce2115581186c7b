/** Isomorphic part of checkpoint downloads (no Node modules): URLs, errors, the Cache Storage variant. */
export { DownloadError, type DownloadErrorCode, type DownloadErrorInit } from './errors';
export {
  type DownloadProgress,
  type DownloadProgressCallback,
  PROGRESS_INTERVAL_MS,
} from './progress';
export {
  type CheckpointSource,
  type DownloadEnv,
  type ModelUrlOptions,
  isAbsoluteUrl,
  joinUrl,
  modelUrl,
  resolveBaseUrl,
  resolveCheckpointSource,
} from './source';
export {
  type CacheLike,
  type CacheStorageDownloadOptions,
  type CacheStorageLike,
  downloadToCacheStorage,
} from './cache-storage';
