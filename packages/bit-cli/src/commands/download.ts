import { stat } from 'node:fs/promises';
import {
  downloadCheckpoint,
  embeddedAssetPath,
  getModelEntry,
  hasModel,
  resolveCacheDir,
  verifyNpzFile,
} from '@bit/models/node';
import { parseCommandArgs } from '../args';
import { UsageError } from '../errors';
import { JSON_FLAG } from '../flags';
import { log, printJson } from '../output';
import { requireCreatableUnder } from '../paths';
import type { Command } from './types';

const usage = 'bit download <name|url> [--cache-dir DIR] [--base-url URL] [--force] [--json]';

const flags = {
  'cache-dir': {
    type: 'string',
    value: 'DIR',
    description: 'the checkpoint cache',
    defaultText: '$BIT_CACHE_DIR, else $XDG_CACHE_HOME/bit, else ~/.cache/bit',
  },
  'base-url': {
    type: 'string',
    value: 'URL',
    description: 'where the official checkpoints are served',
    defaultText: '$BIT_MODELS_BASE_URL, else storage.googleapis.com/bit_models',
  },
  force: { type: 'boolean', default: false, description: 'download again even when cached' },
  json: { ...JSON_FLAG, description: 'print { path, fromCache, ... } as JSON on stdout' },
} as const;

/** `bit download`: fetch a checkpoint into the cache (resumable). */
export const downloadCommand: Command = {
  name: 'download',
  usage,
  summary: 'download a zoo checkpoint into the cache (resumable, verified)',
  positionals: [['<name|url>', 'a zoo name (bit models lists them) or a checkpoint URL']],
  flags,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, flags, usage);
    if (positionals.length !== 1)
      throw new UsageError('name exactly one model (bit models lists them)', usage);
    const name = positionals[0];
    if (hasModel(name) && getModelEntry(name).embedded) {
      // Nothing to download: the checkpoint ships inside @bit/models.
      const path = embeddedAssetPath(getModelEntry(name));
      log(`${name} is embedded in @bit/models; no download needed`);
      if (values.json) printJson({ name, path, fromCache: false, embedded: true });
      else process.stdout.write(`${path} (embedded)\n`);
      return 0;
    }
    const baseUrl = values['base-url'];
    if (baseUrl !== undefined && !/^https?:\/\/[^/]/i.test(baseUrl)) {
      throw new UsageError(
        `--base-url must be an http:// or https:// URL, got '${baseUrl}'`,
        usage,
      );
    }
    const cacheDir = values['cache-dir'] ?? resolveCacheDir();
    const cache = await stat(cacheDir).catch(() => null);
    if (cache && !cache.isDirectory()) {
      throw new UsageError(`--cache-dir ${cacheDir} is a file, not a folder`, usage);
    }
    if (!cache) await requireCreatableUnder(cacheDir, 'cache-dir', usage);
    let lastPct = -1;
    const result = await downloadCheckpoint(name, {
      cacheDir,
      baseUrl,
      force: values.force,
      verify: verifyNpzFile,
      onProgress: (e) => {
        const pct = e.totalBytes ? Math.floor((100 * e.receivedBytes) / e.totalBytes) : -1;
        if (pct !== lastPct) {
          lastPct = pct;
          if (process.stderr.isTTY)
            process.stderr.write(`\r${e.name}: ${pct}% (${e.receivedBytes} bytes)`);
          else if (pct % 10 === 0) log(`${e.name}: ${pct}%`);
        }
      },
    });
    if (process.stderr.isTTY && lastPct >= 0) process.stderr.write('\n');
    if (values.json) printJson(result);
    else process.stdout.write(`${result.path}${result.fromCache ? ' (cached)' : ''}\n`);
    return 0;
  },
};
