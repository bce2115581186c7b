/** Embedded zoo entries in Node: files under the installed @bit/models package's `assets/`. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddedModelError } from '../api/embedded';
import type { ZooEntry } from '../zoo/registry';

declare const __dirname: string | undefined;

function moduleDir(): string {
  if (typeof __dirname === 'string') return __dirname;
  return dirname(fileURLToPath(import.meta.url));
}

let root: string | undefined;

/** The folder of the @bit/models package this code runs from (holding its package.json). */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = moduleDir();
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === '@bit/models') {
          root = dir;
          return dir;
        }
      } catch {
        // not ours; keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new EmbeddedModelError('cannot find the @bit/models package folder');
    dir = up;
  }
}

/**
 * The file of an embedded zoo entry: `<assetsDir>/<entry.url>`, where `assetsDir` defaults to
 * the package's `assets/` folder (a path or a `file:` URL may be given instead).
 * @throws EmbeddedModelError for an entry that is not embedded or a URL that is no file.
 */
export function embeddedAssetPath(entry: ZooEntry, assetsDir?: string | URL): string {
  if (!entry.embedded) throw new EmbeddedModelError(`zoo entry '${entry.name}' is not embedded`);
  let dir: string;
  if (assetsDir === undefined) dir = join(packageRoot(), 'assets');
  else {
    const text = String(assetsDir);
    if (text.startsWith('file:')) dir = fileURLToPath(text);
    else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
      throw new EmbeddedModelError(
        `embedded model '${entry.name}': assetBaseUrl ${text} is not a folder on disk (Node reads embedded models from files)`,
      );
    } else dir = isAbsolute(text) ? text : resolve(text);
  }
  return join(dir, ...entry.url.split('/'));
}

/** Path of an embedded zoo entry's checkpoint in this package (`assets/<url>`); see embeddedAssetPath. */
export function embeddedCheckpointPath(entry: ZooEntry): string {
  return embeddedAssetPath(entry);
}
