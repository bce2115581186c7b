/**
 * The one load pipeline: every model source (zoo name, path, URL, Blob/File, run folder, TF.js
 * folder or model.json URL) is first resolved into a {@link ResolvedCheckpoint} — one byte
 * source (an .npz), one set of named arrays, or one tf.io handler (TF.js) — and then finished
 * here, the same way in the isomorphic and the Node entry: architecture, head, labels,
 * resolution and metadata.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { HEAD, FINAL_NORM, PRELOGITS } from '../architecture/names';
import { buildResNetV2 } from '../architecture/resnetv2';
import { replaceHead } from '../architecture/head';
import { inferArchitecture, type LayoutEntry } from '../checkpoint/layout';
import {
  loadWeightsInto,
  modelWeights,
  type NamedArray,
  type NamedArraySource,
} from '../checkpoint/weights';
import { openNpz } from '../formats/npz/index';
import { loadTfjs } from '../formats/tfjs/index';
import type { ByteSource } from '../io/byte-source';
import type { ZooEntry } from '../zoo/registry';
import { getBiTMetadata, setBiTMetadata, type BiTMetadata } from './metadata';

/** What a resolved source holds: .npz bytes, named arrays, or a TF.js model behind a tf.io handler. */
export type CheckpointPayload =
  | { readonly format: 'npz'; readonly bytes: ByteSource }
  | { readonly format: 'arrays'; readonly arrays: NamedArraySource }
  | { readonly format: 'tfjs'; readonly handler: tf.io.IOHandler };

/** A model source, resolved: the payload plus what the source itself knows about the model. */
export interface ResolvedCheckpoint {
  /** Short name for metadata and messages: a zoo name or a base name (never a machine path). */
  readonly name: string;
  readonly payload: CheckpointPayload;
  /** The zoo entry, when the source named one. */
  readonly entry?: ZooEntry;
  /** Class names (or a label set name) the source brings, e.g. a run folder's. */
  readonly labels?: string | readonly string[] | null;
  /** Eval resolution the source records (a run folder's crop). */
  readonly resolution?: number;
}

/** Options of the finishing step (a subset of LoadBiTOptions). */
export interface FinishOptions {
  /**
   * A new zero-initialised head of this many classes (0: no head, the model outputs
   * pre-logits). The old head's weights are never read into tensors.
   */
  numClasses?: number;
  /** Class names or a registered label set name; overrides the source's. */
  labels?: string | readonly string[] | null;
}

/** The last segment of a path or URL (query and fragment dropped): what metadata may keep. */
export function baseName(nameOrPath: string): string {
  const clean = nameOrPath.split(/[?#]/, 1)[0] ?? nameOrPath;
  const parts = clean.split(/[\\/]+/).filter((p) => p !== '');
  return parts.length ? parts[parts.length - 1] : nameOrPath;
}

function checkNumClasses(numClasses: number | undefined): void {
  if (numClasses === undefined) return;
  if (!Number.isInteger(numClasses) || numClasses < 0) {
    throw new RangeError(
      `loadBiT: options.numClasses must be a non-negative integer, got ${String(numClasses)}`,
    );
  }
}

/**
 * The named arrays of `source` with its head swapped for a zero-initialised one of `numClasses`
 * classes (or none): the old head's members are listed no more and never read.
 */
export function withNewHead(source: NamedArraySource, numClasses: number): NamedArraySource {
  const channels = source.entries.find((e) => e.name === `${FINAL_NORM}/gamma`)?.shape[0];
  const entries: LayoutEntry[] = source.entries.filter((e) => !e.name.startsWith(`${HEAD}/`));
  const zeros = new Map<string, readonly number[]>();
  if (numClasses > 0 && channels !== undefined) {
    zeros.set(`${HEAD}/kernel`, [1, 1, channels, numClasses]);
    zeros.set(`${HEAD}/bias`, [numClasses]);
    for (const [name, shape] of zeros) entries.push({ name, shape });
  }
  return {
    name: source.name,
    entries,
    async read(name: string): Promise<NamedArray> {
      const shape = zeros.get(name);
      if (shape) return { name, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
      return source.read(name);
    },
  };
}

/** A freshly built or loaded model, and whether its head is a new one. */
interface Built {
  readonly model: tfl.LayersModel;
  readonly newHead: boolean;
}

async function modelFromNamedArrays(
  arrays: NamedArraySource,
  numClasses: number | undefined,
): Promise<Built> {
  const headClasses = arrays.entries.find((e) => e.name === `${HEAD}/bias`)?.shape[0] ?? 0;
  const newHead = numClasses !== undefined && numClasses !== headClasses;
  const source = newHead ? withNewHead(arrays, numClasses) : arrays;
  const arch = inferArchitecture(source.entries, source.name);
  const model = buildResNetV2(arch, { kernelInitializer: 'zeros' });
  try {
    await loadWeightsInto(model, source);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return { model, newHead };
}

type Json = Record<string, unknown>;

/**
 * TF.js artifacts with the head (layer `resnet/head/conv2d`, the model's only output) replaced
 * by a zero-initialised one of `numClasses` classes, or removed (0): the old head's weights are
 * dropped from the weight data before anything becomes a tensor. Null when the topology is not
 * a BiT model's with the head as its only output (the caller then replaces the head after loading).
 */
export function artifactsWithNewHead(
  artifacts: tf.io.ModelArtifacts,
  numClasses: number,
): tf.io.ModelArtifacts | null {
  const { weightSpecs, weightData } = artifacts;
  if (!weightSpecs || weightData === undefined || typeof artifacts.modelTopology !== 'object') {
    return null;
  }
  if (artifacts.modelTopology instanceof ArrayBuffer) return null;
  const topology = structuredClone(artifacts.modelTopology) as Json;
  const model = (topology.model_config ?? topology) as Json;
  const config = model.config as Json | undefined;
  const layers = config?.layers as Json[] | undefined;
  const outputs = config?.output_layers as unknown[][] | undefined;
  if (!config || !Array.isArray(layers) || !Array.isArray(outputs)) return null;
  const headIndex = layers.findIndex((l) => l.name === HEAD);
  if (headIndex < 0 || outputs.length !== 1 || outputs[0]?.[0] !== HEAD) return null;
  const kernelSpec = weightSpecs.find((s) => s.name === `${HEAD}/kernel`);
  if (!kernelSpec || kernelSpec.shape.length !== 2) return null;
  const channels = kernelSpec.shape[0];

  if (numClasses === 0) {
    layers.splice(headIndex, 1);
    config.output_layers = [[PRELOGITS, 0, 0]];
  } else {
    (layers[headIndex].config as Json).units = numClasses;
  }
  const data = new tf.io.CompositeArrayBuffer(weightData);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: ArrayBuffer[] = [];
  let offset = 0;
  for (const spec of weightSpecs) {
    const bytes = specByteLength(spec);
    if (bytes === undefined) return null;
    if (!spec.name.startsWith(`${HEAD}/`)) {
      specs.push(spec);
      parts.push(data.slice(offset, offset + bytes));
    }
    offset += bytes;
  }
  if (numClasses > 0) {
    specs.push({ name: `${HEAD}/kernel`, shape: [channels, numClasses], dtype: 'float32' });
    parts.push(new ArrayBuffer(channels * numClasses * 4));
    specs.push({ name: `${HEAD}/bias`, shape: [numClasses], dtype: 'float32' });
    parts.push(new ArrayBuffer(numClasses * 4));
  }
  return { ...artifacts, modelTopology: topology, weightSpecs: specs, weightData: parts };
}

const BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  float16: 2,
  uint16: 2,
  uint8: 1,
};

function specByteLength(spec: tf.io.WeightsManifestEntry): number | undefined {
  const per = BYTES[spec.quantization?.dtype ?? spec.dtype];
  return per === undefined ? undefined : spec.shape.reduce((a, b) => a * b, 1) * per;
}

async function modelFromTfjs(
  handler: tf.io.IOHandler,
  numClasses: number | undefined,
): Promise<Built> {
  if (numClasses === undefined || typeof handler.load !== 'function') {
    return { model: await loadTfjs(handler), newHead: false };
  }
  const artifacts = await handler.load();
  const headClasses = artifacts.weightSpecs?.find((s) => s.name === `${HEAD}/bias`)?.shape[0] ?? 0;
  if (numClasses === headClasses) {
    return { model: await loadTfjs(tf.io.fromMemory(artifacts)), newHead: false };
  }
  const rewritten = artifactsWithNewHead(artifacts, numClasses);
  if (rewritten) return { model: await loadTfjs(tf.io.fromMemory(rewritten)), newHead: true };
  // Not the plain BiT topology: load it whole, then swap the head (replaceHead disposes the old one).
  const whole = await loadTfjs(tf.io.fromMemory(artifacts));
  return { model: replaceHead(whole, numClasses), newHead: true };
}

/**
 * The finishing step of every load: builds (or loads) the model, gives it a new zero-initialised
 * head when `numClasses` differs from the checkpoint's, and attaches BiT metadata (source name,
 * architecture, labels, resolution). Closes the byte source it read.
 */
export async function finishLoad(
  resolved: ResolvedCheckpoint,
  options: FinishOptions = {},
): Promise<tfl.LayersModel> {
  checkNumClasses(options.numClasses);
  const { payload } = resolved;
  let built: Built;
  if (payload.format === 'tfjs') {
    built = await modelFromTfjs(payload.handler, options.numClasses);
  } else if (payload.format === 'arrays') {
    built = await modelFromNamedArrays(payload.arrays, options.numClasses);
  } else {
    const { bytes } = payload;
    try {
      const archive = await openNpz(bytes);
      built = await modelFromNamedArrays(
        { name: resolved.name, entries: archive.entries, read: (n) => archive.read(n) },
        options.numClasses,
      );
    } finally {
      await bytes.close?.();
    }
  }
  const { model, newHead } = built;
  const previous = getBiTMetadata(model);
  let architecture: BiTMetadata['architecture'];
  try {
    architecture = inferArchitecture(
      modelWeights(model).map((w) => ({ name: w.name, shape: w.checkpointShape })),
      resolved.name,
    );
  } catch (err) {
    model.dispose();
    throw err;
  }
  const labels: BiTMetadata['labels'] =
    options.labels !== undefined
      ? copyLabels(options.labels)
      : newHead
        ? null
        : resolved.labels !== undefined
          ? copyLabels(resolved.labels)
          : (previous?.labels ?? resolved.entry?.labels ?? null);
  const resolution = resolved.resolution ?? previous?.resolution ?? resolved.entry?.resolution;
  const source =
    resolved.entry?.name ?? (previous?.source ? baseName(previous.source) : resolved.name);
  setBiTMetadata(model, {
    source,
    architecture,
    labels,
    ...(resolution !== undefined ? { resolution } : {}),
  });
  return model;
}

function copyLabels(labels: string | readonly string[] | null): string | string[] | null {
  return labels === null || typeof labels === 'string' ? labels : [...labels];
}
