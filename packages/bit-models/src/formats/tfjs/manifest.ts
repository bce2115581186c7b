/**
 * The weightsManifest of a model.json: validation, byte counts of weights and groups, and
 * the safety check on shard paths (relative to model.json, never outside its directory).
 */
import * as tf from '@tensorflow/tfjs-core';

import { TfjsFormatError } from './errors';

/** Bytes per value of each storage dtype (a quantised weight is stored in its quantisation dtype). */
const BYTES_PER_VALUE: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  float16: 2,
  uint16: 2,
  uint8: 1,
};

/**
 * Bytes that one weight occupies in the weight data, from its spec (quantisation-aware).
 * `undefined` for string weights, whose size is only known from the data itself.
 */
export function weightByteLength(spec: tf.io.WeightsManifestEntry): number | undefined {
  const storage = spec.quantization?.dtype ?? spec.dtype;
  const perValue = BYTES_PER_VALUE[storage];
  if (perValue === undefined) return undefined;
  return spec.shape.reduce((a, b) => a * b, 1) * perValue;
}

/** Bytes that a list of weights occupies, or `undefined` when one of them is a string weight. */
export function weightsByteLength(
  specs: readonly tf.io.WeightsManifestEntry[],
): number | undefined {
  let total = 0;
  for (const spec of specs) {
    const n = weightByteLength(spec);
    if (n === undefined) return undefined;
    total += n;
  }
  return total;
}

/**
 * Refuses shard paths that could leave the model's directory: absolute paths, drive letters,
 * URLs and `..` segments. Returns the path with a leading `./` removed.
 */
export function checkShardPath(shardPath: string, modelJsonPath: string): string {
  const bad =
    shardPath.length === 0 ||
    shardPath.startsWith('/') ||
    shardPath.startsWith('\\') ||
    /^[a-zA-Z]:/.test(shardPath) ||
    /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(shardPath) ||
    shardPath.includes('\0') ||
    shardPath.split(/[\\/]/).some((segment) => segment === '..');
  if (bad) {
    throw new TfjsFormatError(
      'bad-model-json',
      modelJsonPath,
      `weightsManifest path "${shardPath}" must be a relative path inside the model's directory`,
    );
  }
  return shardPath.replace(/^(\.\/)+/, '');
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function badField(modelJsonPath: string, field: string, what: string): TfjsFormatError {
  return new TfjsFormatError('bad-model-json', modelJsonPath, `${field} ${what}`);
}

function checkEntry(entry: unknown, field: string, modelJsonPath: string): void {
  if (!isObject(entry)) throw badField(modelJsonPath, field, 'is not an object');
  if (typeof entry.name !== 'string' || entry.name.length === 0) {
    throw badField(modelJsonPath, `${field}.name`, 'is not a non-empty string');
  }
  const shape = entry.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw badField(modelJsonPath, `${field}.shape`, 'is not a list of non-negative integers');
  }
  if (
    typeof entry.dtype !== 'string' ||
    !['float32', 'int32', 'bool', 'string', 'complex64'].includes(entry.dtype)
  ) {
    throw badField(
      modelJsonPath,
      `${field}.dtype`,
      `is not a tfjs dtype (got ${JSON.stringify(entry.dtype)})`,
    );
  }
  if (entry.quantization !== undefined) {
    const q = entry.quantization;
    if (!isObject(q) || !['float16', 'uint8', 'uint16'].includes(q.dtype as string)) {
      throw badField(
        modelJsonPath,
        `${field}.quantization`,
        'has no dtype float16, uint8 or uint16',
      );
    }
  }
}

/**
 * Parses the text of a model.json and checks that it describes a LayersModel: an object with
 * a `modelTopology` object and a `weightsManifest` list of `{ paths: string[], weights: [...] }`.
 * @throws TfjsFormatError `invalid-json` or `bad-model-json` naming `modelJsonPath` and the field.
 */
export function parseModelJson(text: string, modelJsonPath: string): tf.io.ModelJSON {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new TfjsFormatError(
      'invalid-json',
      modelJsonPath,
      `not valid JSON (${(err as Error).message})`,
      { cause: err },
    );
  }
  if (!isObject(value)) throw badField(modelJsonPath, 'the top level', 'is not a JSON object');
  if (!isObject(value.modelTopology)) {
    throw badField(modelJsonPath, 'modelTopology', 'is missing or not an object');
  }
  const manifest = value.weightsManifest;
  if (!Array.isArray(manifest)) {
    throw badField(modelJsonPath, 'weightsManifest', 'is missing or not a list');
  }
  manifest.forEach((group: unknown, g) => {
    const field = `weightsManifest[${g}]`;
    if (!isObject(group)) throw badField(modelJsonPath, field, 'is not an object');
    if (!Array.isArray(group.paths) || !group.paths.every((p) => typeof p === 'string')) {
      throw badField(modelJsonPath, `${field}.paths`, 'is not a list of strings');
    }
    group.paths.forEach((p: string) => checkShardPath(p, modelJsonPath));
    if (!Array.isArray(group.weights)) {
      throw badField(modelJsonPath, `${field}.weights`, 'is not a list');
    }
    group.weights.forEach((entry: unknown, w) =>
      checkEntry(entry, `${field}.weights[${w}]`, modelJsonPath),
    );
  });
  return value as unknown as tf.io.ModelJSON;
}
