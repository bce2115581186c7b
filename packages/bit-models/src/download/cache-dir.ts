/** Node-only: where checkpoints are cached on disk. */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { DownloadEnv } from './source';

/**
 * The checkpoint cache directory: `BIT_CACHE_DIR`, else `$XDG_CACHE_HOME/bit` (when
 * XDG_CACHE_HOME is an absolute path, as the XDG spec asks), else `~/.cache/bit`.
 */
export function resolveCacheDir(env: DownloadEnv = process.env): string {
  const explicit = env.BIT_CACHE_DIR;
  if (explicit !== undefined && explicit.trim() !== '') return resolve(explicit.trim());
  const xdg = env.XDG_CACHE_HOME;
  if (xdg !== undefined && xdg.trim() !== '' && isAbsolute(xdg.trim()))
    return join(xdg.trim(), 'bit');
  return join(homedir(), '.cache', 'bit');
}
