/** Soft-label cross-entropy (MixUp's loss) and its per-example form. */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Per-example cross-entropy `-sum_k targets[i, k] * log_softmax(logits)[i, k]` for soft (e.g.
 * MixUp-mixed one-hot) targets [B, K]. With mixed targets `lambda * a + (1 - lambda) * b` this is
 * `lambda * CE(a) + (1 - lambda) * CE(b)`, the official MixUp criterion.
 */
export function softCrossEntropyPerExample(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1)) as tf.Tensor1D);
}

/** Mean over the batch of {@link softCrossEntropyPerExample}. */
export function softCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(softCrossEntropyPerExample(logits, targets)) as tf.Scalar);
}
