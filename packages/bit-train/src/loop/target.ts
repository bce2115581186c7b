/**
 * What one training mode differentiates: full fine-tuning (the whole model), head-only (frozen
 * backbone run outside the gradient tape, then the head) or a linear head on precomputed
 * features.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { featureExtractor } from '@bit/models';
import { findHead, trainableWeights } from './model';
import type { TrainableWeight } from '../optimizer/momentum-sgd';
import { TrainConfigError } from '../errors';

/** Training modes: whole model, head on a frozen backbone, head on precomputed features. */
export type TrainMode = 'full' | 'head' | 'features';

/** The differentiable part of a training mode. */
export interface TrainTarget {
  readonly mode: TrainMode;
  /** The weights that get gradients. */
  readonly weights: readonly TrainableWeight[];
  /**
   * Work done outside the gradient tape on a micro-batch of inputs (the frozen backbone in
   * head-only mode); returns a new tensor, or the input itself when there is nothing to do.
   */
  prepare(inputs: tf.Tensor): tf.Tensor;
  /** Logits [B, K] from prepared inputs (runs under the gradient tape). */
  logits(prepared: tf.Tensor): tf.Tensor2D;
}

function headOf(model: tfl.LayersModel): tfl.layers.Layer {
  const head = findHead(model);
  if (!head) throw new TrainConfigError('head-only training needs a model with a head');
  return head;
}

/** The training target of `mode` for `model`. */
export function makeTarget(model: tfl.LayersModel, mode: TrainMode): TrainTarget {
  if (mode === 'full') {
    return {
      mode,
      weights: trainableWeights(model, 'all'),
      prepare: (x) => x,
      logits: (x) => model.apply(x, { training: true }) as tf.Tensor2D,
    };
  }
  const head = headOf(model);
  const apply = (f: tf.Tensor) => head.apply(f) as tf.Tensor2D;
  if (mode === 'head') {
    const extractor = featureExtractor(model);
    return {
      mode,
      weights: trainableWeights(model, 'head'),
      // Inference path: the backbone is frozen, no tape, cached standardised kernels.
      prepare: (x) => tf.tidy(() => extractor.apply(x, { training: false }) as tf.Tensor),
      logits: apply,
    };
  }
  return { mode, weights: trainableWeights(model, 'head'), prepare: (x) => x, logits: apply };
}
