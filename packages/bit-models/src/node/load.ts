import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  isModelJsonUrl,
  resolveSource as resolveAnywhere,
  resolveUrl,
  type BiTSource,
  type LoadBiTOptions,
} from '../api/load';
import { baseName, finishLoad, type ResolvedCheckpoint } from '../api/pipeline';
import type { DownloadProgress } from '../download/index';
import { downloadCheckpoint } from '../download/node';
import { CheckpointFormatError } from '../errors';
import { openNpz } from '../formats/npz/index';
import { MODEL_JSON, sniffTfjs } from '../formats/tfjs/index';
import { fileSystemHandler } from '../formats/tfjs/node';
import { FileByteSource } from '../io/node';
import { getModelEntry, hasModel } from '../zoo/registry';
import type { BiTEngineModel, BiTModel } from '../api/engine';
import { BitModelsError } from '../errors';
import { embeddedAssetPath } from './embedded';
import { onnxModelFromTfjs, refuseOnnxHeadOptions, type OnnxBiTModel } from '../api/onnx-engine';
import { isOnnxFile, loadOnnx, type OnnxEngineOptions } from './onnx';
import { isRunFolder, readRunFolder } from './run-folder';

/** Options of the Node {@link loadBiT}: the isomorphic ones plus the download cache. */
export interface NodeLoadBiTOptions extends LoadBiTOptions {
  /** Cache folder for downloads (default BIT_CACHE_DIR, $XDG_CACHE_HOME/bit, ~/.cache/bit). */
  cacheDir?: string;
  /** Download progress. */
  onProgress?: (event: DownloadProgress) => void;
  /** Environment to read BIT_* variables from (default process.env). */
  env?: Record<string, string | undefined>;
}

/** Options of `loadBiT` with an inference engine other than tfjs. */
export interface EngineLoadOptions extends NodeLoadBiTOptions, OnnxEngineOptions {
  /**
   * Inference engine: `tfjs` (default, a tfjs LayersModel) or `onnx` (an `OnnxBiTModel` in
   * onnxruntime-node, an optional peer; `.onnx` files load only this way). See `registerEngine`.
   */
  engine: string;
}

/** A model source in Node: everything the isomorphic loader takes, plus paths and `file:` URLs. */
export type NodeBiTSource = BiTSource;

async function statOrNull(path: string) {
  return stat(path).then(
    (s) => s,
    () => null,
  );
}

const HEAD_BYTES = 64 * 1024;

async function head(path: string): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(HEAD_BYTES);
    const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
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

/** A file or folder on disk, resolved: .npz, TF.js model.json / folder, or run folder. */
async function resolvePath(path: string): Promise<ResolvedCheckpoint | null> {
  const st = await statOrNull(path);
  if (st === null) return null;
  if (st.isDirectory()) {
    if (await isRunFolder(path)) {
      const run = await readRunFolder(path);
      if (run.kind === 'model') {
        return { name: run.name, payload: { format: 'tfjs', handler: fileSystemHandler(run.dir) } };
      }
      return {
        name: run.name,
        payload: { format: 'npz', bytes: await FileByteSource.open(run.weights, run.name) },
        labels: run.classes,
        ...(run.resolution !== undefined ? { resolution: run.resolution } : {}),
      };
    }
    if ((await statOrNull(join(path, MODEL_JSON)))?.isFile()) {
      return {
        name: baseName(path),
        payload: { format: 'tfjs', handler: fileSystemHandler(path) },
      };
    }
    throw new CheckpointFormatError(
      'not-a-checkpoint',
      path,
      undefined,
      'a folder that is neither a TF.js model (model.json) nor a fine-tuning run folder (model/, checkpoint/)',
    );
  }
  if (await isOnnxFile(path)) {
    throw new CheckpointFormatError(
      'not-a-checkpoint',
      path,
      undefined,
      "an ONNX model runs in onnxruntime only, for inference: load it with { engine: 'onnx' } " +
        '(bit predict, features, eval, bench: --engine onnx); to fine-tune, start from the .npz or ' +
        'TF.js model it was exported from',
    );
  }
  const bytes = await head(path);
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
    return {
      name: baseName(path),
      payload: { format: 'npz', bytes: await FileByteSource.open(path) },
    };
  }
  if (sniffTfjs(path, bytes)) {
    return { name: baseName(path), payload: { format: 'tfjs', handler: fileSystemHandler(path) } };
  }
  throw new CheckpointFormatError(
    'not-a-checkpoint',
    path,
    undefined,
    'neither an .npz (zip) checkpoint nor a TF.js model.json',
  );
}

/**
 * Step one of the load pipeline in Node: paths (an .npz, a TF.js model.json or folder, a
 * fine-tuning run folder) and `file:` URLs; embedded zoo entries from the package's `assets/`;
 * other zoo names and .npz URLs downloaded once into the disk cache; model.json URLs and
 * everything else as in the isomorphic `resolveSource`.
 */
export async function resolveNodeSource(
  source: NodeBiTSource,
  options: NodeLoadBiTOptions = {},
): Promise<ResolvedCheckpoint> {
  let text: string | undefined;
  if (typeof source === 'string') text = source;
  else if (source instanceof URL) text = source.href;
  if (text === undefined) return resolveAnywhere(source, options);
  if (text.startsWith('file:')) text = fileURLToPath(text);
  const local = await resolvePath(text);
  if (local) return local;
  if (hasModel(text)) {
    const entry = getModelEntry(text);
    if (entry.embedded) {
      const path = embeddedAssetPath(entry, options.assetBaseUrl);
      const st = await statOrNull(path);
      if (!st?.isFile()) {
        throw new CheckpointFormatError(
          'not-found',
          path,
          undefined,
          `the embedded model '${entry.name}' is missing from the package (reinstall @bit/models)`,
        );
      }
      return {
        name: entry.name,
        payload: { format: 'npz', bytes: await FileByteSource.open(path, entry.name) },
        entry,
      };
    }
  }
  if (/^https?:\/\//i.test(text) && isModelJsonUrl(text)) return resolveUrl(text, options);
  if (hasModel(text) || /^https?:\/\//i.test(text)) {
    const entry = hasModel(text) ? getModelEntry(text) : undefined;
    if (entry && isModelJsonUrl(entry.url)) return resolveAnywhere(text, options);
    const { path } = await downloadCheckpoint(text, {
      cacheDir: options.cacheDir,
      baseUrl: options.baseUrl,
      fetch: options.fetch,
      onProgress: options.onProgress,
      env: options.env,
      verify: verifyNpzFile,
    });
    const name = entry?.name ?? baseName(text);
    return {
      name,
      payload: { format: 'npz', bytes: await FileByteSource.open(path, name) },
      ...(entry ? { entry } : {}),
    };
  }
  throw new CheckpointFormatError(
    'not-found',
    text,
    undefined,
    'no such file or folder, and not a zoo model name (bit models lists them) or an http(s) URL',
  );
}

/** How an inference engine other than tfjs loads a model (the registry behind `engine`). */
export interface EngineLoader {
  load(source: NodeBiTSource, options: EngineLoadOptions): Promise<BiTEngineModel>;
}

/** An `engine` name that is not registered. */
export class UnknownEngineError extends BitModelsError {
  override name = 'UnknownEngineError';
}

const ENGINES = new Map<string, EngineLoader>();

/** Registers an inference engine for `loadBiT(src, { engine: name })`. */
export function registerEngine(name: string, loader: EngineLoader): void {
  ENGINES.set(name, loader);
}

/** Names of the inference engines: `tfjs` and the registered ones. */
export function engineNames(): string[] {
  return ['tfjs', ...ENGINES.keys()];
}

registerEngine('onnx', {
  async load(source, options) {
    const engine = { threads: options.threads, onnxruntime: options.onnxruntime };
    let text: string | undefined;
    if (typeof source === 'string') text = source;
    else if (source instanceof URL && source.protocol === 'file:') text = fileURLToPath(source);
    if (text !== undefined) {
      const path = text.startsWith('file:') ? fileURLToPath(text) : text;
      if (/\.onnx$/i.test(path) && (await statOrNull(path))?.isFile()) {
        refuseOnnxHeadOptions(options);
        return loadOnnx(path, engine);
      }
    }
    // Any other checkpoint: through the tfjs load pipeline, exported in memory.
    return onnxModelFromTfjs(
      await finishLoad(await resolveNodeSource(source, options), options),
      engine,
    );
  },
});

/**
 * Loads a BiT model in Node: a local .npz, a TF.js model folder or model.json, a fine-tuning
 * run folder (its finished model, or its last checkpoint with the run's class names), a zoo name
 * (embedded entries from the package; others downloaded once into the cache, resumable), a URL,
 * or anything the isomorphic `loadBiT` takes. The architecture comes from the checkpoint itself.
 * With `{ engine: 'onnx' }` the model runs in onnxruntime-node instead (any of those sources,
 * converted in memory, or an `.onnx` file) and has `predict` / `features` / `classify` methods.
 * @example
 *   const model = await loadBiT('runs/flowers'); // predicts with the run's class names
 *   const fresh = await loadBiT('BiT-M-R50x1', { numClasses: 5 }); // new zero head, old one never read
 *   const fast = await loadBiT('model.onnx', { engine: 'onnx' }); // await fast.classify('cat.jpg')
 */
export async function loadBiT(
  source: NodeBiTSource,
  options: EngineLoadOptions & { engine: 'onnx' },
): Promise<OnnxBiTModel>;
export async function loadBiT(
  source: NodeBiTSource,
  options?: NodeLoadBiTOptions & { engine?: 'tfjs' },
): Promise<tfl.LayersModel>;
export async function loadBiT(source: NodeBiTSource, options: EngineLoadOptions): Promise<BiTModel>;
export async function loadBiT(
  source: NodeBiTSource,
  options: NodeLoadBiTOptions & { engine?: string } = {},
): Promise<BiTModel> {
  const engine = options.engine ?? 'tfjs';
  if (engine === 'tfjs') return finishLoad(await resolveNodeSource(source, options), options);
  const loader = ENGINES.get(engine);
  if (!loader) {
    throw new UnknownEngineError(
      `loadBiT: unknown engine '${engine}'; engines: ${engineNames().join(', ')}`,
    );
  }
  return loader.load(source, { ...options, engine });
}
