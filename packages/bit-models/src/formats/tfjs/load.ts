/** Loading a LayersModel saved in the TF.js LayersModel format. */
import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
// Registers GroupNormalization and StandardizedConv2D with tf.serialization.
import '@bit/layers';

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
 *   fileSystemHandler) and tfjs-layers' errors pass through.
 */
export async function loadTfjs(
  handlerOrUrl: string | tf.io.IOHandler,
  options: LoadTfjsOptions = {},
): Promise<tfl.LayersModel> {
  const handler = resolveLoadHandler(
    handlerOrUrl,
    options.onProgress ? { onProgress: options.onProgress } : undefined,
  );
  return tfl.loadLayersModel(handler, { strict: options.strict ?? true });
}
