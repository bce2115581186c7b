/**
 * Typed errors raised by @bit/layers. Every message names the argument or
 * config field at fault and what was expected.
 */

/**
 * Base class of every error @bit/layers throws on purpose. `inputError` is true (the default) when
 * the caller's argument or config is at fault, false for an internal failure (a kernel handed a
 * backend it cannot run on).
 */
export class BitLayersError extends Error {
  /** True when the caller's input is at fault rather than the environment. */
  readonly inputError: boolean;

  constructor(message: string, options?: { inputError?: boolean }) {
    super(message);
    this.name = 'BitLayersError';
    this.inputError = options?.inputError ?? true;
  }
}

/** The channel count is not divisible by the number of groups (GroupNorm). */
export class ChannelGroupsError extends BitLayersError {
  /** Channel count of the input (its last axis). */
  readonly channels: number;
  /** Requested number of groups. */
  readonly groups: number;

  constructor(channels: number, groups: number, where: string) {
    super(
      `${where}: channels (${channels}) must be divisible by groups (${groups}); ` +
        `choose groups among the divisors of ${channels}.`,
    );
    this.name = 'ChannelGroupsError';
    this.channels = channels;
    this.groups = groups;
  }
}

/** A tensor (input or kernel) has a rank the op or layer does not support. */
export class RankError extends BitLayersError {
  constructor(message: string) {
    super(message);
    this.name = 'RankError';
  }
}

/** A parameter tensor (gamma, beta, kernel data) has the wrong shape or size. */
export class ParameterShapeError extends BitLayersError {
  constructor(message: string) {
    super(message);
    this.name = 'ParameterShapeError';
  }
}

/** A layer or op option is invalid (non-integer groups, unknown padding, ...). */
export class LayerConfigError extends BitLayersError {
  constructor(message: string) {
    super(message);
    this.name = 'LayerConfigError';
  }
}
