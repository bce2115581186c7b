/**
 * GroupNormalization: a serialisable tfjs-layers layer over {@link groupNorm}.
 * tfjs-layers ships BatchNormalization and LayerNormalization but no GroupNorm.
 */
import * as tf from '@tensorflow/tfjs-core';
import { layers, type LayerVariable, type Shape } from '@tensorflow/tfjs-layers';
import { ChannelGroupsError, LayerConfigError, RankError } from '../errors';
import { groupNorm } from '../ops/group-norm';
import { resolveInitializer, serializeInitializer } from './initializers';
import type { Initializer, InitializerLike, Kwargs, LayerArgs } from './types';
import { onlyShape, onlyTensor } from './util';

/** Configuration of {@link GroupNormalization}. */
export interface GroupNormalizationLayerArgs extends LayerArgs {
  /** Number of channel groups; must divide the channel count. Default 32. */
  groups?: number;
  /** Added to the variance. Default 1e-5. */
  epsilon?: number;
  /** Add the learned per-channel offset `beta`. Default true. */
  center?: boolean;
  /** Multiply by the learned per-channel scale `gamma`. Default true. */
  scale?: boolean;
  /** Initializer of `beta`. Default 'zeros'. */
  betaInitializer?: InitializerLike;
  /** Initializer of `gamma`. Default 'ones'. */
  gammaInitializer?: InitializerLike;
  /** Channel axis; only the last axis (-1, or rank - 1) is supported. Default -1. */
  axis?: number;
}

/**
 * Group Normalization layer (channels last, inputs of rank 2 to 5).
 * Weights: `gamma` `[C]` (when `scale`) then `beta` `[C]` (when `center`).
 * Statistics per sample and group over all spatial axes and the group's channels.
 * Registered with `tf.serialization` as 'GroupNormalization'.
 */
export class GroupNormalization extends layers.Layer {
  /** @nocollapse */
  static className = 'GroupNormalization';

  /** Number of channel groups. */
  readonly groups: number;
  /** Variance epsilon. */
  readonly epsilon: number;
  /** Whether `beta` is used. */
  readonly center: boolean;
  /** Whether `gamma` is used. */
  readonly scale: boolean;
  /** Channel axis as configured (-1 or rank - 1). */
  readonly axis: number;
  /** Initializer of `beta`. */
  readonly betaInitializer: Initializer;
  /** Initializer of `gamma`. */
  readonly gammaInitializer: Initializer;

  private gamma: LayerVariable | null = null;
  private beta: LayerVariable | null = null;

  constructor(args: GroupNormalizationLayerArgs = {}) {
    super(args);
    this.groups = args.groups ?? 32;
    this.epsilon = args.epsilon ?? 1e-5;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.axis = args.axis ?? -1;
    if (!Number.isInteger(this.groups) || this.groups < 1) {
      throw new LayerConfigError(
        `GroupNormalization.groups must be a positive integer, got ${args.groups}.`,
      );
    }
    if (!(this.epsilon >= 0)) {
      throw new LayerConfigError(
        `GroupNormalization.epsilon must be a non-negative number, got ${args.epsilon}.`,
      );
    }
    if (!Number.isInteger(this.axis)) {
      throw new LayerConfigError(`GroupNormalization.axis must be an integer, got ${args.axis}.`);
    }
    this.betaInitializer = resolveInitializer(
      args.betaInitializer ?? 'zeros',
      'GroupNormalization.betaInitializer',
    );
    this.gammaInitializer = resolveInitializer(
      args.gammaInitializer ?? 'ones',
      'GroupNormalization.gammaInitializer',
    );
    this.supportsMasking = true;
  }

  /** Validates the input shape and returns its channel count. */
  private channelsOf(inputShape: Shape): number {
    const rank = inputShape.length;
    if (rank < 2 || rank > 5) {
      throw new RankError(
        `GroupNormalization '${this.name}': input must have rank 2 to 5 (channels last), ` +
          `got shape [${inputShape.join(', ')}].`,
      );
    }
    if (this.axis !== -1 && this.axis !== rank - 1) {
      throw new LayerConfigError(
        `GroupNormalization '${this.name}': axis must be the last axis (-1 or ${rank - 1}), got ${this.axis}; ` +
          `only channels-last inputs are supported.`,
      );
    }
    const channels = inputShape[rank - 1];
    if (channels == null) {
      throw new RankError(
        `GroupNormalization '${this.name}': the channel dimension of the input must be known.`,
      );
    }
    if (channels % this.groups !== 0) {
      throw new ChannelGroupsError(channels, this.groups, `GroupNormalization '${this.name}'`);
    }
    return channels;
  }

  override build(inputShape: Shape | Shape[]): void {
    const channels = this.channelsOf(onlyShape(inputShape, 'GroupNormalization'));
    this.gamma = this.scale
      ? this.addWeight('gamma', [channels], 'float32', this.gammaInitializer, undefined, true)
      : null;
    this.beta = this.center
      ? this.addWeight('beta', [channels], 'float32', this.betaInitializer, undefined, true)
      : null;
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const shape = onlyShape(inputShape, 'GroupNormalization');
    this.channelsOf(shape);
    return [...shape];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = onlyTensor(inputs, 'GroupNormalization');
      this.channelsOf(x.shape);
      return groupNorm(x, this.gamma?.read() ?? null, this.beta?.read() ?? null, {
        groups: this.groups,
        eps: this.epsilon,
      });
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      groups: this.groups,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      axis: this.axis,
      betaInitializer: serializeInitializer(
        this.betaInitializer,
      ) as unknown as tf.serialization.ConfigDict,
      gammaInitializer: serializeInitializer(
        this.gammaInitializer,
      ) as unknown as tf.serialization.ConfigDict,
    };
    return { ...config, ...super.getConfig() };
  }
}
tf.serialization.registerClass(GroupNormalization);

/**
 * Creates a {@link GroupNormalization} layer (like the `tf.layers.*` factories).
 *
 * @example
 * const gn = groupNormalization({ groups: 32, epsilon: 1e-5 });
 */
export function groupNormalization(config: GroupNormalizationLayerArgs = {}): GroupNormalization {
  return new GroupNormalization(config);
}
