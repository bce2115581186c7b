import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { NamedArraySource } from '../checkpoint/weights';
import {
  downloadToCacheStorage,
  modelUrl,
  type CacheStorageLike,
  type DownloadProgressCallback,
} from '../download/index';
import { CheckpointFormatError } from '../errors';
import { tfjsUrlHandler } from '../formats/tfjs/index';
import type { ByteSource } from '../io/byte-source';
import { BlobByteSource } from '../io/blob-source';
import { HttpRangeByteSource } from '../io/http-range-source';
import { getModelEntry, hasModel, type ZooEntry } from '../zoo/registry';
import { EmbeddedModelError, embeddedAssetUrl } from './embedded';
import {
  OnnxBiTModel,
  onnxModelFromTfjs,
  refuseOnnxHeadOptions,
  type OnnxEngineOptions,
} from './onnx-engine';
import { readOnnxHeader } from '../formats/onnx/proto';
import { baseName, finishLoad, type ResolvedCheckpoint } from './pipeline';
import { ProgressByteSource } from './progress-source';

/** Options of {@link loadBiT}. */
export interface LoadBiTOptions {
  /**
   * A new zero-initialised head of this many classes (0: no head, the model outputs
   * pre-logits), when it differs from the checkpoint's. The old head is never read into tensors.
   */
  numClasses?: number;
  /** Class names or a label set name to attach (default: the source's or the zoo entry's). */
  labels?: string | readonly string[] | null;
  /** Base URL for zoo names (a mirror); default `BIT_MODELS_BASE_URL`, else the official bucket. */
  baseUrl?: string;
  /** Folder URL serving `@bit/models/assets` (embedded zoo entries); default next to the package. */
  assetBaseUrl?: string | URL;
  /** fetch to use for URLs (default globalThis.fetch). */
  fetch?: typeof fetch;
  /**
   * Browser: keep downloads in Cache Storage (`true`: the `bit-models` cache, or a cache name),
   * so a page downloads a model once. Node ignores it: `@bit/models/node` always caches on disk.
   */
  cache?: boolean | string;
  /** The Cache Storage to use with `cache` (default `globalThis.caches`). */
  caches?: CacheStorageLike;
  /** Progress of URL loads and downloads, in bytes. */
  onProgress?: DownloadProgressCallback;
}

/**
 * Where a BiT checkpoint can come from in any environment: a zoo name, an http(s) URL of an
 * .npz or of a TF.js model.json, a `URL`, a browser File/Blob (.npz), a ByteSource, named arrays,
 * or a tf.io IOHandler (`tf.io.browserFiles([json, ...shards])`, `indexeddb://` handlers).
 * `@bit/models/node` adds file paths, folders and run folders.
 */
export type BiTSource = string | URL | Blob | ByteSource | NamedArraySource | tf.io.IOHandler;

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

function isByteSource(x: unknown): x is ByteSource {
  return isObject(x) && typeof x.read === 'function' && 'size' in x && !('entries' in x);
}

function isNamedArraySource(x: unknown): x is NamedArraySource {
  return isObject(x) && typeof x.read === 'function' && Array.isArray(x.entries);
}

function isIOHandler(x: unknown): x is tf.io.IOHandler {
  return isObject(x) && typeof x.load === 'function' && !('read' in x);
}

const URL_SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/** True when a URL names a TF.js model.json rather than an .npz. */
export function isModelJsonUrl(url: string): boolean {
  return /\.json$/i.test(url.split(/[?#]/, 1)[0] ?? url);
}

/** URL of a zoo entry under `baseUrl` (default the official bucket); see `modelUrl`. */
export function zooUrl(entry: ZooEntry, baseUrl?: string): string {
  return modelUrl(entry, { baseUrl });
}

/**
 * Resolves a URL (of an .npz or a model.json) into a byte source or a tf.io handler: HTTP Range
 * reads with progress, or the whole file through Cache Storage with `cache`.
 */
export async function resolveUrl(
  url: string,
  options: LoadBiTOptions,
  entry?: ZooEntry,
): Promise<ResolvedCheckpoint> {
  const name = entry?.name ?? baseName(url);
  const extra = entry ? { entry } : {};
  if (isModelJsonUrl(url)) {
    const handler = tfjsUrlHandler(url, {
      fetch: options.fetch,
      cache: options.cache,
      caches: options.caches,
      onProgress: options.onProgress,
    });
    return { name, payload: { format: 'tfjs', handler }, ...extra };
  }
  let bytes: ByteSource;
  if (options.cache) {
    const blob = await downloadToCacheStorage(url, {
      cacheName: typeof options.cache === 'string' ? options.cache : undefined,
      caches: options.caches,
      fetch: options.fetch,
      onProgress: options.onProgress,
      name,
    });
    bytes = new BlobByteSource(blob, name);
  } else {
    const remote = await HttpRangeByteSource.open(url, { fetch: options.fetch, name });
    bytes = options.onProgress ? new ProgressByteSource(remote, options.onProgress, url) : remote;
  }
  return { name, payload: { format: 'npz', bytes }, ...extra };
}

async function sniffBlob(blob: Blob): Promise<'npz' | 'json' | 'other'> {
  const head = new Uint8Array(await blob.slice(0, 4).arrayBuffer());
  if (head[0] === 0x50 && head[1] === 0x4b) return 'npz';
  const text = new TextDecoder().decode(head).trimStart();
  return text.startsWith('{') ? 'json' : 'other';
}

/**
 * Step one of the load pipeline, in any environment: turns a {@link BiTSource} into one byte
 * source, named arrays or tf.io handler (see `ResolvedCheckpoint`). Strings are zoo names
 * (embedded entries resolve to the package's assets), absolute URLs, or — in a browser — URLs
 * relative to the page.
 * @throws UnknownModelError for a string that is no zoo name and no URL;
 *   CheckpointFormatError `not-a-checkpoint` for a Blob that is not an .npz.
 */
export async function resolveSource(
  source: BiTSource,
  options: LoadBiTOptions = {},
): Promise<ResolvedCheckpoint> {
  if (isNamedArraySource(source)) {
    return { name: baseName(source.name), payload: { format: 'arrays', arrays: source } };
  }
  if (isByteSource(source)) {
    return { name: baseName(source.name), payload: { format: 'npz', bytes: source } };
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    const bytes = new BlobByteSource(source);
    const kind = await sniffBlob(source);
    if (kind !== 'npz') {
      throw new CheckpointFormatError(
        'not-a-checkpoint',
        bytes.name,
        undefined,
        kind === 'json'
          ? 'a model.json File alone has no weights: pass tf.io.browserFiles([modelJson, ...shards]) or its URL'
          : 'not an .npz checkpoint (zip)',
      );
    }
    return { name: baseName(bytes.name), payload: { format: 'npz', bytes } };
  }
  if (isIOHandler(source)) {
    return { name: 'tfjs-model', payload: { format: 'tfjs', handler: source } };
  }
  const text = String(source);
  if (hasModel(text)) {
    const entry = getModelEntry(text);
    if (entry.embedded) {
      const url = embeddedAssetUrl(entry, options.assetBaseUrl);
      if (url.startsWith('file:') && options.fetch === undefined) {
        throw new EmbeddedModelError(
          `embedded model '${entry.name}' is a file (${baseName(url)}): in Node, load it with ` +
            "loadBiT from '@bit/models/node'",
        );
      }
      return resolveUrl(url, options, entry);
    }
    return resolveUrl(modelUrl(entry, { baseUrl: options.baseUrl }), options, entry);
  }
  if (URL_SCHEME.test(text) && !/^[a-z]:[\\/]/i.test(text)) return resolveUrl(text, options);
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  if (page && (text.includes('/') || /\.(npz|json)$/i.test(text))) {
    return resolveUrl(new URL(text, page).href, options);
  }
  // Not a URL and not a zoo entry: the zoo lookup gives the helpful error.
  getModelEntry(text);
  throw new Error('unreachable');
}

/**
 * Loads a BiT model: a zoo name (`BiT-M-R50x1`, read with HTTP Range requests; embedded
 * entries from the package itself), an http(s) URL of an .npz or a TF.js model.json, a browser
 * File/Blob, a ByteSource, named arrays, or a tf.io handler. The architecture comes from the
 * checkpoint itself. In Node, `@bit/models/node`'s `loadBiT` adds file paths, TF.js folders,
 * fine-tuning run folders and a download cache.
 * @example
 *   const model = await loadBiT('https://example.com/bit/model.json', { cache: true, onProgress });
 */
export async function loadBiT(
  source: BiTSource,
  options?: LoadBiTOptions & { engine?: 'tfjs' },
): Promise<tfl.LayersModel>;
/**
 * With `{ engine: 'onnx', onnxruntime: ort }` (`import * as ort from 'onnxruntime-web'`) the
 * model runs in onnxruntime instead: an .onnx URL, Blob or bytes as it is, any other source
 * loaded as above and exported in memory (`exportOnnx`).
 * @example
 *   const fast = await loadBiT('model.onnx', { engine: 'onnx', onnxruntime: ort });
 */
export async function loadBiT(
  source: BiTSource | Uint8Array,
  options: LoadBiTOptions & OnnxEngineOptions & { engine: 'onnx' },
): Promise<OnnxBiTModel>;
export async function loadBiT(
  source: BiTSource | Uint8Array,
  options: LoadBiTOptions & OnnxEngineOptions & { engine?: string } = {},
): Promise<tfl.LayersModel | OnnxBiTModel> {
  const engine = options.engine ?? 'tfjs';
  if (engine === 'onnx') return loadOnnxEngine(source, options);
  if (engine !== 'tfjs') {
    throw new RangeError(`loadBiT: engine must be 'tfjs' or 'onnx', got '${engine}'`);
  }
  return finishLoad(await resolveSource(asSource(source), options), options);
}

/** Bytes as a Blob (the tfjs pipeline reads Blobs). */
function asSource(source: BiTSource | Uint8Array): BiTSource {
  return source instanceof Uint8Array ? new Blob([source as Uint8Array<ArrayBuffer>]) : source;
}

/** ONNX bytes of `source` when it is an ONNX model already (bytes, a Blob, an .onnx URL). */
async function onnxBytesOf(
  source: BiTSource | Uint8Array,
  options: LoadBiTOptions,
): Promise<{ bytes: Uint8Array; name: string } | null> {
  let bytes: Uint8Array | undefined;
  let name = 'model.onnx';
  if (source instanceof Uint8Array) bytes = source;
  else if (typeof Blob !== 'undefined' && source instanceof Blob) {
    bytes = new Uint8Array(await source.arrayBuffer());
    name = (source as { name?: string }).name ?? name;
  } else if (
    (typeof source === 'string' || source instanceof URL) &&
    /\.onnx([?#].*)?$/i.test(String(source))
  ) {
    const page = (globalThis as { location?: { href?: string } }).location?.href;
    const url = new URL(String(source), page).href;
    const response = await (options.fetch ?? fetch)(url);
    if (!response.ok) {
      throw new CheckpointFormatError(
        'not-a-checkpoint',
        baseName(url),
        undefined,
        `GET ${url}: HTTP ${response.status}`,
      );
    }
    bytes = new Uint8Array(await response.arrayBuffer());
    name = baseName(url);
  }
  return bytes && readOnnxHeader(bytes) ? { bytes, name } : null;
}

async function loadOnnxEngine(
  source: BiTSource | Uint8Array,
  options: LoadBiTOptions & OnnxEngineOptions,
): Promise<OnnxBiTModel> {
  const onnx = await onnxBytesOf(source, options);
  if (onnx) {
    refuseOnnxHeadOptions(options);
    return OnnxBiTModel.create(onnx.bytes, { ...options, name: onnx.name });
  }
  // Any other checkpoint: through the tfjs load pipeline, exported in memory.
  return onnxModelFromTfjs(
    await finishLoad(await resolveSource(asSource(source), options), options),
    options,
  );
}

/**
 * Builds the model a named-array checkpoint describes (architecture inferred from its names and
 * shapes) and loads its weights, one array at a time.
 */
export async function modelFromArrays(
  source: NamedArraySource,
  options: LoadBiTOptions & { entry?: ZooEntry } = {},
): Promise<tfl.LayersModel> {
  return finishLoad(
    {
      name: options.entry?.name ?? baseName(source.name),
      payload: { format: 'arrays', arrays: source },
      ...(options.entry ? { entry: options.entry } : {}),
    },
    options,
  );
}

/** Opens an .npz checkpoint from a byte source and builds the model (closing the source). */
export async function modelFromNpz(
  bytes: ByteSource,
  options: LoadBiTOptions & { entry?: ZooEntry } = {},
): Promise<tfl.LayersModel> {
  return finishLoad(
    {
      name: options.entry?.name ?? baseName(bytes.name),
      payload: { format: 'npz', bytes },
      ...(options.entry ? { entry: options.entry } : {}),
    },
    options,
  );
}
