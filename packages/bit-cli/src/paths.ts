import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from './errors';

/**
 * Fails (exit 2) with "no such file or directory: PATH" when `path`, given to `--flag` (or as an
 * argument when `flag` is undefined), does not exist; with `kind` 'file', also when it is a folder.
 */
export async function requirePath(
  path: string,
  flag: string | undefined,
  usage: string,
  kind: 'file' | 'any' = 'any',
): Promise<void> {
  const where = flag ? `--${flag}: ` : '';
  const s = await stat(path).catch(() => null);
  if (!s) throw new UsageError(`${where}no such file or directory: ${path}`, usage);
  if (kind === 'file' && !s.isFile()) {
    throw new UsageError(`${where}${path} is a directory, not a file`, usage);
  }
}

/** True when `path` exists (a file, folder or anything else). */
export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Fails (exit 2) naming `--flag` when `path` cannot be created because the nearest existing
 * folder above it is a file (`runs/notes.txt/out`): found before anything is loaded or written,
 * rather than as ENOTDIR on a temporary file deep in the write.
 */
export async function requireCreatableUnder(
  path: string,
  flag: string,
  usage: string,
): Promise<void> {
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    const s = await stat(dir).catch(() => null);
    if (s) {
      if (!s.isDirectory()) {
        throw new UsageError(`--${flag} ${path}: ${dir} is a file, not a folder`, usage);
      }
      return;
    }
    if (dirname(dir) === dir) return;
  }
}
