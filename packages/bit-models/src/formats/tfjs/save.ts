/** Saving a LayersModel as TF.js artifacts (model.json + weight shards), float32 or float16. */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

import { TfjsFormatError } from './errors';
import { quantizeWeightsToFloat16 } from './float16-weights';
import { resolveSaveHandler } from './handlers';
import { checkShardBytes, DEFAULT_SHARD_BYTES, splitWeightData } from './shards';

/** Storage dtype of the weights in saved artifacts. */
export type TfjsWeightDtype = 'float32' | 'float16';

/** Options of saveTfjs / prepareTfjsArtifacts. */
export interface SaveTfjsOptions {
  /**
   * `float32` (default) stores the weights as they are; `float16` halves the size (round to
   * nearest even; tfjs dequantises them to float32 on load).
   */
  dtype?: TfjsWeightDtype;
  /** Largest weight shard in bytes (default 4 MiB, as the tfjs converter). */
  shardBytes?: number;
}

/** The last segment of a path or URL (query and fragment dropped). */
function lastSegment(value: string): string {
  const parts = (value.split(/[?#]/, 1)[0] ?? value).split(/[\\/]+/).filter((p) => p !== '');
  return parts.length ? parts[parts.length - 1] : value;
}

/**
 * User-defined metadata with no machine path in it: BiT metadata's `source` (a file or folder
 * the weights came from) keeps its base name at most, so an exported model.json does not leak
 * where it was made.
 */
export function portableMetadata(metadata: object | undefined): object | undefined {
  const bit = (metadata as { bit?: { source?: unknown } } | undefined)?.bit;
  if (!bit || typeof bit.source !== 'string') return metadata;
  const source = lastSegment(bit.source);
  return source === bit.source ? metadata : { ...metadata, bit: { ...bit, source } };
}

/**
 * Rewrites model artifacts for storage: float16 weights when asked for, and the weight data
 * as a list of shards of at most `shardBytes` bytes (`weightData: ArrayBuffer[]`; tf.io's own
 * handlers join them, `fileSystemHandler` writes each as one `groupN-shardIofK.bin` file).
 * Everything else (topology, training config, user-defined metadata, except that BiT
 * metadata's `source` keeps its base name at most) is kept.
 * @param target name of the save target, for error messages.
 */
export function prepareTfjsArtifacts(
  artifacts: tf.io.ModelArtifacts,
  options: SaveTfjsOptions = {},
  target = '<artifacts>',
): tf.io.ModelArtifacts {
  const dtype = options.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float16') {
    throw new TfjsFormatError(
      'bad-option',
      target,
      `dtype must be 'float32' or 'float16' (got ${JSON.stringify(dtype)})`,
    );
  }
  const shardBytes = checkShardBytes(options.shardBytes ?? DEFAULT_SHARD_BYTES, target);
  if (artifacts.userDefinedMetadata !== undefined) {
    artifacts = {
      ...artifacts,
      userDefinedMetadata: portableMetadata(
        artifacts.userDefinedMetadata,
      ) as tf.io.ModelArtifacts['userDefinedMetadata'],
    };
  }
  if (artifacts.weightData === undefined || artifacts.weightSpecs === undefined) return artifacts;
  let { weightSpecs, weightData } = artifacts;
  if (dtype === 'float16') {
    ({ weightSpecs, weightData } = quantizeWeightsToFloat16(weightSpecs, weightData, target));
  }
  return { ...artifacts, weightSpecs, weightData: splitWeightData(weightData, shardBytes) };
}

/**
 * Saves a LayersModel in the TF.js LayersModel format through any tf.io handler or URL
 * (`indexeddb://`, `localstorage://`, `downloads://`, `http(s)://` in the browser;
 * `fileSystemHandler(dir)` from `@bit/models/node` in Node; `tf.io.withSaveHandler(...)`).
 * The model's own save produces float32 artifacts, which are rewritten (float16, shards)
 * before they reach the target. User-defined metadata (`model.setUserDefinedMetadata`) is kept.
 * @throws TfjsFormatError `bad-option`, `no-handler`; the target's own errors pass through.
 */
export async function saveTfjs(
  model: tfl.LayersModel,
  handlerOrUrl: string | tf.io.IOHandler,
  options: SaveTfjsOptions = {},
): Promise<tf.io.SaveResult> {
  const name = typeof handlerOrUrl === 'string' ? handlerOrUrl : '<IOHandler>';
  // Validate options before the model serialises its weights.
  prepareTfjsArtifacts({}, options, name);
  if (model === null || typeof model !== 'object' || typeof model.save !== 'function') {
    throw new TfjsFormatError('bad-option', name, 'saveTfjs needs a tfjs-layers LayersModel');
  }
  const target = resolveSaveHandler(handlerOrUrl);
  const save = target.save as tf.io.SaveHandler;
  return model.save(
    tf.io.withSaveHandler((artifacts) =>
      save.call(target, prepareTfjsArtifacts(artifacts, options, name)),
    ),
  );
}
