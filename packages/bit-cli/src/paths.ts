import { stat } from 'node:fs/promises';
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
