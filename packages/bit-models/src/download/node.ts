/** Node-only part of checkpoint downloads (import from src/node.ts only). */
export { resolveCacheDir } from './cache-dir';
export {
  type DownloadCheckpointOptions,
  type DownloadResult,
  downloadCheckpoint,
} from './checkpoint-download';
export { sha256File } from './file-hash';
export {
  type FileLock,
  type FileLockOptions,
  LockTimeoutError,
  acquireFileLock,
  isPidAlive,
} from './lock';
