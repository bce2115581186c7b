/** Loading a LayersModel saved in the TF.js LayersModel format. */
import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
// Registers GroupNormalization and StandardizedConv2D with tf.serialization.
import '@bit/layers';

import { BitModelsError } from '../../errors';
import { TfjsFormatError } from './errors';
import { resolveLoadHandler } from './handlers';

/** Options of loadTfjs. */
export interface LoadTfjsOptions {
  /** Require the weights to match the model's exactly (default true). */
  strict?: boolean;
  /** Progress callback for URL loads (fraction in [0, 1]). */
  onProgress?: tf.io.OnProgressCallback;
}

/**
 * Loads a LayersModel from TF.js artifacts through any tf.io handler or URL (see saveTfjs;
 * in Node, `fileSystemHandler(dir)` from `@bit/models/node`). Float16 weights are
 * dequantised to float32 by tfjs; user-defined metadata comes back with
 * `model.getUserDefinedMetadata()`. The caller owns (and disposes) the model.
 * @throws TfjsFormatError `no-handler`; the handler's errors (e.g. TfjsFormatError from
 *   fileSystemHandler) pass through; tfjs-layers' errors (a topology it cannot build, weights
 *   that do not fit) become TfjsFormatError `bad-model-json` naming the model.
 */
export async function loadTfjs(
  handlerOrUrl: string | tf.io.IOHandler,
  options: LoadTfjsOptions = {},
): Promise<tfl.LayersModel> {
  const handler = resolveLoadHandler(
    handlerOrUrl,
    options.onProgress ? { onProgress: options.onProgress } : undefined,
  );
  try {
    return await tfl.loadLayersModel(handler, { strict: options.strict ?? true });
  } catch (e) {
    if (e instanceof BitModelsError) throw e;
    // tfjs-layers' own errors (a topology it cannot build, weights that do not fit it) name
    // no file: say which model.
    const where =
      typeof handlerOrUrl === 'string'
        ? handlerOrUrl
        : ((handlerOrUrl as { modelJsonPath?: string }).modelJsonPath ?? 'model.json');
    const detail = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
    throw new TfjsFormatError('bad-model-json', where, `not a loadable LayersModel: ${detail}`, {
      cause: e,
    });
  }
}
