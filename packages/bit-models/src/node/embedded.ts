import { fileURLToPath } from 'node:url';
import type { ZooEntry } from '../zoo/registry';

/**
 * Path of an embedded zoo entry's checkpoint: `assets/<url>` in this package (beside dist/ when
 * built; two folders up from src/node/ when run from the TypeScript sources).
 */
export function embeddedCheckpointPath(entry: ZooEntry): string {
  const here = import.meta.url;
  const up = /\/src\/node\/[^/]+$/.test(here) ? '../../' : '../';
  return fileURLToPath(new URL(`${up}assets/${entry.url}`, here));
}
