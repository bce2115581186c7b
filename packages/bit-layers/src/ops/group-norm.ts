/**
 * Functional Group Normalization (Wu & He, 2018) for channels-last tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ChannelGroupsError, LayerConfigError, ParameterShapeError, RankError } from '../errors';
import { normalizeGroups } from './normalize-groups';

/** Options of {@link groupNorm}. */
export interface GroupNormOptions {
  /** Number of channel groups; must divide the channel count. Default 32. */
  groups?: number;
  /** Added to the variance before the square root. Default 1e-5. */
  eps?: number;
}

/**
 * Group Normalization of a channels-last tensor.
 *
 * For each sample and each of `groups` groups of `C / groups` consecutive
 * channels, the statistics are taken over all non-batch spatial axes and the
 * channels of the group (rank 2 `[N, C]`: over the group's channels only);
 * the normalised values are then scaled and shifted per channel:
 * `y = (x - mean) / sqrt(var + eps) * gamma + beta`.
 *
 * Mean and variance use a centred two-pass scheme (a first mean, then the
 * mean and the mean square of the residuals), which keeps float32 rounding
 * error small on wasm also for inputs with a large offset; the means over the
 * rows are average pools (two levels, see `row-means`), the means over a
 * group's channels one small matrix product per statistic. Differentiable with
 * respect to `x`, `gamma` and `beta` (an analytic gradient, see
 * `normalizeGroups`).
 *
 * @param x Tensor of rank 2 to 5, channels last (`[N, C]`, `[N, L, C]`, `[N, H, W, C]`, `[N, D, H, W, C]`).
 * @param gamma Per-channel scale of shape `[C]`, or null/undefined for 1.
 * @param beta Per-channel offset of shape `[C]`, or null/undefined for 0.
 * @param options `groups` (default 32) and `eps` (default 1e-5).
 * @returns A new tensor with the shape of `x`.
 * @throws RankError, ChannelGroupsError, ParameterShapeError, LayerConfigError on bad input.
 */
export function groupNorm(
  x: tf.Tensor,
  gamma?: tf.Tensor | null,
  beta?: tf.Tensor | null,
  options: GroupNormOptions = {},
): tf.Tensor {
  const { groups = 32, eps = 1e-5 } = options;
  if (!Number.isInteger(groups) || groups < 1) {
    throw new LayerConfigError(
      `groupNorm: options.groups must be a positive integer, got ${groups}.`,
    );
  }
  if (!(eps >= 0)) {
    throw new LayerConfigError(`groupNorm: options.eps must be a non-negative number, got ${eps}.`);
  }
  if (x.rank < 2 || x.rank > 5) {
    throw new RankError(
      `groupNorm: x must have rank 2 to 5 (channels last), got rank ${x.rank} with shape [${x.shape.join(', ')}].`,
    );
  }
  const channels = x.shape[x.rank - 1];
  if (channels % groups !== 0) throw new ChannelGroupsError(channels, groups, 'groupNorm');
  checkParameter(gamma, 'gamma', channels);
  checkParameter(beta, 'beta', channels);

  return tf.tidy(() => {
    const batch = x.shape[0];
    const spatial = x.shape.slice(1, -1).reduce((a, b) => a * b, 1);
    const rows = tf.reshape(x, [batch, spatial, channels]) as tf.Tensor3D;
    return tf.reshape(normalizeGroups(rows, groups, eps, gamma ?? null, beta ?? null), x.shape);
  });
}

function checkParameter(p: tf.Tensor | null | undefined, name: string, channels: number): void {
  if (p == null) return;
  if (p.rank !== 1 || p.shape[0] !== channels) {
    throw new ParameterShapeError(
      `groupNorm: ${name} must have shape [${channels}] (one value per channel of x), got [${p.shape.join(', ')}].`,
    );
  }
}
