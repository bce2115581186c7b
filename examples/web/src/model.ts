/**
 * The app's model: the embedded default (served with the app, loaded by URL through loadBiT),
 * any .npz or TF.js model by URL or from files, IndexedDB; saving as .npz, TF.js or to
 * IndexedDB; and classification of decoded images at the model's resolution.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { resizeBilinear, type DecodedImage } from '@bit/data';
import {
  EMBEDDED_MODEL,
  exportNpz,
  getBiTMetadata,
  getLabels,
  getModelEntry,
  loadBiT,
  loadTfjs,
  MemorySink,
  predict,
  saveTfjs,
  setBiTMetadata,
  type TopClass,
} from '@bit/models';
import embeddedUrl from '../../../packages/bit-models/assets/BiT-FMNIST-R14x0.5.npz?url';

/** The embedded model of the zoo (its entry: labels, resolution), as the app serves it. */
export const EMBEDDED = {
  entry: getModelEntry(EMBEDDED_MODEL),
  url: new URL(embeddedUrl, location.href).href,
} as const;

/** Resolution used for a model that does not say its own (the HyperRule's small-image crop). */
export const FALLBACK_RESOLUTION = 128;

/** IndexedDB key of the saved model. */
export const IDB_URL = 'indexeddb://bit-web-model';

/** A loaded model and what the page shows about it. */
export interface AppModel {
  readonly model: tfl.LayersModel;
  /** Where it came from, for the page. */
  readonly source: string;
  readonly labels: readonly string[] | null;
  /** Side images are resized to before classification. */
  readonly resolution: number;
}

function finish(
  model: tfl.LayersModel,
  source: string,
  labels: readonly string[] | null,
  resolution?: number,
): AppModel {
  const meta = getBiTMetadata(model);
  const metaLabels = Array.isArray(meta?.labels) ? meta.labels : null;
  const chosen = labels ?? metaLabels;
  const res = resolution ?? meta?.resolution ?? FALLBACK_RESOLUTION;
  if (meta !== undefined) {
    setBiTMetadata(model, {
      ...meta,
      labels: chosen === null ? null : [...chosen],
      resolution: res,
    });
  }
  return { model, source, labels: chosen, resolution: res };
}

/** Parses a comma-separated list of class names (empty: none). */
export function parseLabels(text: string): string[] | null {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return names.length > 0 ? names : null;
}

/** Loads the embedded default model. */
export async function loadEmbedded(): Promise<AppModel> {
  const { entry } = EMBEDDED;
  const labels = entry.labels === null ? null : await getLabels(entry.labels);
  const model = await loadBiT(EMBEDDED.url, { labels: labels === null ? null : [...labels] });
  return finish(model, entry.name, labels, entry.resolution);
}

/** Loads a model by URL: a TF.js model.json, or an .npz (anything else). */
export async function loadFromUrl(
  text: string,
  labels: readonly string[] | null,
): Promise<AppModel> {
  let url: string;
  try {
    url = new URL(text, location.href).href;
  } catch {
    throw new Error(`not a URL: ${text}`);
  }
  if (/\.json(\?|#|$)/.test(url)) return finish(await loadTfjs(url), url, labels);
  return finish(await loadBiT(url, { labels: labels === null ? null : [...labels] }), url, labels);
}

/** Loads from picked files: one .npz, or a TF.js model.json with its .bin shards. */
export async function loadFromFiles(
  files: readonly File[],
  labels: readonly string[] | null,
): Promise<AppModel> {
  const json = files.find((f) => f.name.endsWith('.json'));
  if (json !== undefined) {
    const weights = files.filter((f) => f !== json);
    return finish(await loadTfjs(tf.io.browserFiles([json, ...weights])), json.name, labels);
  }
  const npz = files.find((f) => f.name.endsWith('.npz'));
  if (npz === undefined || files.length !== 1) {
    throw new Error('pick one .npz file, or a TF.js model.json with its .bin weight files');
  }
  return finish(
    await loadBiT(npz, { labels: labels === null ? null : [...labels] }),
    npz.name,
    labels,
  );
}

/** Loads the model saved in IndexedDB. */
export async function loadFromIndexedDb(): Promise<AppModel> {
  const models = await tf.io.listModels();
  if (!(IDB_URL in models))
    throw new Error('no model saved in IndexedDB yet (use Save to IndexedDB)');
  return finish(await loadTfjs(IDB_URL), 'IndexedDB', null);
}

/** A trained model coming back from the worker as an .npz. */
export async function loadTrained(
  npz: ArrayBuffer,
  classes: readonly string[],
  resolution: number,
): Promise<AppModel> {
  const model = await loadBiT(new Blob([npz]), { labels: [...classes] });
  return finish(model, `taught (${classes.join(', ')})`, classes, resolution);
}

/** The model as .npz bytes (official layout; float32 unless asked). */
export async function npzBytes(
  model: tfl.LayersModel,
  dtype: 'float32' | 'float16' = 'float32',
): Promise<Uint8Array> {
  const sink = new MemorySink(1 << 20);
  await exportNpz(model, sink, { dtype });
  return sink.bytes();
}

/** Starts a browser download of `bytes` as `fileName`. */
export function download(bytes: Uint8Array, fileName: string, type: string): void {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  const url = URL.createObjectURL(new Blob([copy], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Downloads the model as TF.js (model.json + weights.bin; labels in the metadata). */
export async function downloadTfjs(model: tfl.LayersModel, name: string): Promise<void> {
  await saveTfjs(model, `downloads://${name}`);
}

/** Saves the model (with its labels and resolution) to IndexedDB. */
export async function saveToIndexedDb(model: tfl.LayersModel): Promise<void> {
  await saveTfjs(model, IDB_URL);
}

/**
 * Classifies one decoded image: resized to the model's resolution (half-pixel bilinear, as the
 * training pipeline's eval transform), scaled to [0, 1], NHWC.
 */
export async function classifyImage(
  app: AppModel,
  image: DecodedImage,
  topK = 5,
): Promise<TopClass[]> {
  const { data, height, width } = resizeBilinear(image, app.resolution, app.resolution);
  const x = tf.tensor4d(data, [1, height, width, 3], 'float32');
  try {
    const [first] = await predict(app.model, x, {
      topK,
      labels: app.labels === null ? null : [...app.labels],
    });
    return first.top;
  } finally {
    x.dispose();
  }
}
