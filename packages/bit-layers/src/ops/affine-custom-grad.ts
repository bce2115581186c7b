/**
 * The custom-gradient plumbing shared by the GroupNorm implementations (composed, fused,
 * hybrid): `x` with optional per-channel `gamma` and `beta`, of which only those given are
 * inputs of the op (and get gradients).
 */
import * as tf from '@tensorflow/tfjs-core';

/** What a normalisation's forward receives: the op's inputs as the tape sees them. */
export interface AffineArgs {
  x: tf.Tensor3D;
  /** `gamma`'s input, or null when no scale was given. */
  gamma: tf.Tensor | null;
  /** `beta`'s input, or null when no offset was given. */
  beta: tf.Tensor | null;
  /** Keeps tensors for the gradient. */
  save: tf.GradSaveFunc;
}

/** A forward's value and its gradient: one tensor per input present (dx, dgamma?, dbeta?). */
export interface AffineForward {
  value: tf.Tensor3D;
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
}

/** Runs `forward` as a `tf.customGrad` op of x and whichever of gamma and beta are given. */
export function affineCustomGrad(
  x: tf.Tensor3D,
  gamma: tf.Tensor | null,
  beta: tf.Tensor | null,
  forward: (args: AffineArgs) => AffineForward,
): tf.Tensor3D {
  const inputs: tf.Tensor[] = [x];
  if (gamma != null) inputs.push(gamma);
  if (beta != null) inputs.push(beta);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) =>
    forward({
      x: args[0] as tf.Tensor3D,
      gamma: gamma != null ? (args[1] as tf.Tensor) : null,
      beta: beta != null ? (args[inputs.length - 1] as tf.Tensor) : null,
      save: args[args.length - 1] as tf.GradSaveFunc,
    }),
  );
  return op(...inputs) as tf.Tensor3D;
}
