import type * as tfl from '@tensorflow/tfjs-layers';
import { buildResNetV2 } from '../architecture/resnetv2.js';
import { replaceHead } from '../architecture/head.js';
import type { BiTArchitecture } from '../architecture/spec.js';
import { inferArchitecture } from '../checkpoint/layout.js';
import { loadWeightsInto, type NamedArraySource } from '../checkpoint/weights.js';
import { openNpz } from '../formats/npz/index.js';
import type { ByteSource } from '../io/byte-source.js';
import { BlobByteSource } from '../io/blob-source.js';
import { HttpRangeByteSource } from '../io/http-range-source.js';
import { getModelEntry, hasModel, OFFICIAL_BASE_URL, type ZooEntry } from '../zoo/registry.js';
import { setBiTMetadata } from './metadata.js';

/** Options of {@link loadBiT}. */
export interface LoadBiTOptions {
  /** Replace the head with a new zero-initialised one of this many classes (0: no head). */
  numClasses?: number;
  /** Class names or a label set name to attach (default: the zoo entry's, when known). */
  labels?: string | string[] | null;
  /** Base URL for zoo names (a mirror); default the official bucket. */
  baseUrl?: string;
  /** fetch to use for URLs (default globalThis.fetch). */
  fetch?: typeof fetch;
}

/** Where a BiT checkpoint can come from in any environment (Node adds file paths and a cache). */
export type BiTSource = string | URL | Blob | ByteSource | NamedArraySource;

function isByteSource(x: unknown): x is ByteSource {
  return typeof x === 'object' && x !== null && 'read' in x && 'size' in x && !('entries' in x);
}

function isNamedArraySource(x: unknown): x is NamedArraySource {
  return typeof x === 'object' && x !== null && 'read' in x && 'entries' in x;
}

/** URL of a zoo entry under `baseUrl` (default the official bucket). */
export function zooUrl(entry: ZooEntry, baseUrl = OFFICIAL_BASE_URL): string {
  if (/^https?:\/\//.test(entry.url)) return entry.url;
  return `${baseUrl.replace(/\/+$/, '')}/${entry.url}`;
}

/**
 * Builds the model a named-array checkpoint describes (architecture inferred from its names and
 * shapes) and loads its weights, one array at a time.
 */
export async function modelFromArrays(
  source: NamedArraySource,
  options: LoadBiTOptions & { entry?: ZooEntry } = {},
): Promise<tfl.LayersModel> {
  const arch: BiTArchitecture = inferArchitecture(source.entries, source.name);
  let model = buildResNetV2(arch, { kernelInitializer: 'zeros' });
  await loadWeightsInto(model, source);
  const labels = options.labels !== undefined ? options.labels : (options.entry?.labels ?? null);
  setBiTMetadata(model, {
    source: options.entry?.name ?? source.name,
    architecture: arch,
    labels,
    ...(options.entry ? { resolution: options.entry.resolution } : {}),
  });
  if (options.numClasses !== undefined && options.numClasses !== arch.numClasses) {
    model = replaceHead(model, options.numClasses);
  }
  return model;
}

/** Opens an .npz checkpoint from a byte source and builds the model. */
export async function modelFromNpz(
  bytes: ByteSource,
  options: LoadBiTOptions & { entry?: ZooEntry } = {},
): Promise<tfl.LayersModel> {
  const archive = await openNpz(bytes);
  try {
    return await modelFromArrays(
      { name: bytes.name, entries: archive.entries, read: (n) => archive.read(n) },
      options,
    );
  } finally {
    await bytes.close?.();
  }
}

/**
 * Loads a BiT model: a zoo name (`BiT-M-R50x1`, fetched with HTTP Range requests), an http(s)
 * URL of an .npz, a browser File/Blob, a ByteSource, or named arrays. The architecture comes
 * from the checkpoint itself. In Node, `@bit/models/node`'s `loadBiT` adds file paths, TF.js
 * model folders and a download cache.
 */
export async function loadBiT(
  source: BiTSource,
  options: LoadBiTOptions = {},
): Promise<tfl.LayersModel> {
  if (isNamedArraySource(source)) return modelFromArrays(source, options);
  if (isByteSource(source)) return modelFromNpz(source, options);
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    return modelFromNpz(new BlobByteSource(source), options);
  }
  const text = String(source);
  if (hasModel(text)) {
    const entry = getModelEntry(text);
    const url = zooUrl(entry, options.baseUrl);
    return modelFromNpz(await HttpRangeByteSource.open(url, { fetch: options.fetch }), {
      ...options,
      entry,
    });
  }
  if (/^https?:\/\//.test(text)) {
    return modelFromNpz(await HttpRangeByteSource.open(text, { fetch: options.fetch }), options);
  }
  // Not a URL and not a zoo entry: the zoo lookup gives the helpful error.
  getModelEntry(text);
  throw new Error('unreachable');
}
