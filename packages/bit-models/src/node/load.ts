import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { loadBiT as loadBiTAnywhere, modelFromNpz, type LoadBiTOptions } from '../api/load.js';
import { getBiTMetadata, setBiTMetadata } from '../api/metadata.js';
import { replaceHead } from '../architecture/head.js';
import type { DownloadProgress } from '../download/index.js';
import { downloadCheckpoint } from '../download/node.js';
import { CheckpointFormatError } from '../errors.js';
import { openNpz } from '../formats/npz/index.js';
import { loadTfjs } from '../formats/tfjs/index.js';
import { fileSystemHandler } from '../formats/tfjs/node.js';
import { FileByteSource } from '../io/node.js';
import { embeddedCheckpointPath } from './embedded.js';
import { getModelEntry, hasModel } from '../zoo/registry.js';

/** Options of the Node {@link loadBiT}: the isomorphic ones plus the download cache. */
export interface NodeLoadBiTOptions extends LoadBiTOptions {
  /** Cache folder for downloads (default BIT_CACHE_DIR, $XDG_CACHE_HOME/bit, ~/.cache/bit). */
  cacheDir?: string;
  /** Download progress. */
  onProgress?: (event: DownloadProgress) => void;
  /** Environment to read BIT_* variables from (default process.env). */
  env?: Record<string, string | undefined>;
}

async function exists(path: string) {
  return stat(path).then(
    (s) => s,
    () => null,
  );
}

async function head(path: string, n = 64): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Checks a downloaded file is a readable .npz (central directory, headers) before it is kept. */
export async function verifyNpzFile(path: string): Promise<void> {
  const archive = await openNpz(await FileByteSource.open(path));
  await archive.close();
}

async function fromTfjs(dir: string, options: LoadBiTOptions): Promise<tfl.LayersModel> {
  let model = await loadTfjs(fileSystemHandler(dir));
  if (options.labels !== undefined) {
    const meta = getBiTMetadata(model);
    if (meta) setBiTMetadata(model, { ...meta, labels: options.labels });
  }
  const meta = getBiTMetadata(model);
  if (options.numClasses !== undefined && options.numClasses !== meta?.architecture.numClasses) {
    model = replaceHead(model, options.numClasses);
  }
  return model;
}

/**
 * Loads a BiT model in Node: a local .npz, a TF.js model folder or model.json (e.g. a
 * fine-tuning run folder), a zoo name or URL (downloaded once into the cache, resumable), or
 * anything the isomorphic `loadBiT` takes. The architecture comes from the checkpoint itself.
 */
export async function loadBiT(
  source: Parameters<typeof loadBiTAnywhere>[0],
  options: NodeLoadBiTOptions = {},
): Promise<tfl.LayersModel> {
  if (typeof source !== 'string') return loadBiTAnywhere(source, options);
  const st = await exists(source);
  if (st?.isDirectory()) {
    if (await exists(join(source, 'model.json'))) return fromTfjs(source, options);
    throw new CheckpointFormatError(
      'not-a-checkpoint',
      source,
      undefined,
      'a folder without model.json',
    );
  }
  if (st?.isFile()) {
    const bytes = await head(source);
    if (bytes[0] === 0x50 && bytes[1] === 0x4b)
      return modelFromNpz(await FileByteSource.open(source), options);
    if (bytes[0] === 0x7b /* { */) return fromTfjs(source, options);
    throw new CheckpointFormatError(
      'not-a-checkpoint',
      source,
      undefined,
      'neither an .npz (zip) checkpoint nor a TF.js model.json',
    );
  }
  if (hasModel(source) && getModelEntry(source).embedded) {
    const entry = getModelEntry(source);
    const path = embeddedCheckpointPath(entry);
    return modelFromNpz(await FileByteSource.open(path, entry.name), { ...options, entry });
  }
  if (hasModel(source) || /^https?:\/\//.test(source)) {
    const entry = hasModel(source) ? getModelEntry(source) : undefined;
    const { path } = await downloadCheckpoint(source, {
      cacheDir: options.cacheDir,
      baseUrl: options.baseUrl,
      fetch: options.fetch,
      onProgress: options.onProgress,
      env: options.env,
      verify: verifyNpzFile,
    });
    return modelFromNpz(await FileByteSource.open(path, source), { ...options, entry });
  }
  throw new CheckpointFormatError(
    'not-found',
    source,
    undefined,
    'no such file, and not a zoo model name (bit models lists them) or an http(s) URL',
  );
}
