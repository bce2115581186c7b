/**
 * @bit/layers: Group Normalization and Weight-Standardised convolution for
 * TensorFlow.js, as functional ops and serialisable tfjs-layers layers.
 * Importing the package registers 'GroupNormalization' and
 * 'StandardizedConv2D' with `tf.serialization` (needed by `tf.loadLayersModel`).
 */
export {
  BitLayersError,
  ChannelGroupsError,
  LayerConfigError,
  ParameterShapeError,
  RankError,
} from './errors';
export { groupNorm } from './ops/group-norm';
export type { GroupNormOptions } from './ops/group-norm';
export { standardizeKernel, standardizeKernelData } from './ops/standardize-kernel';
export { GroupNormalization, groupNormalization } from './layers/group-normalization';
export type { GroupNormalizationLayerArgs } from './layers/group-normalization';
export { StandardizedConv2D, standardizedConv2d } from './layers/standardized-conv2d';
export type { ConvPadding, StandardizedConv2DLayerArgs } from './layers/standardized-conv2d';
export { resolveInitializer, serializeInitializer } from './layers/initializers';
export type {
  DisposeResult,
  Initializer,
  InitializerIdentifier,
  InitializerLike,
  Kwargs,
  LayerArgs,
  SerializedInitializer,
} from './layers/types';
