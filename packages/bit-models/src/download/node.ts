/** Node-only part of checkpoint downloads (import from src/node.ts only). */
export { resolveCacheDir } from './cache-dir.js';
export {
  type DownloadCheckpointOptions,
  type DownloadResult,
  downloadCheckpoint,
} from './checkpoint-download.js';
export { sha256File } from './file-hash.js';
export {
  type FileLock,
  type FileLockOptions,
  LockTimeoutError,
  acquireFileLock,
  isPidAlive,
} from './lock.js';
