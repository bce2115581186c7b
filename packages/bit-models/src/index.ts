/**
 * @bit/models: BiT (Big Transfer) ResNetV2 models for TensorFlow.js — the model zoo, official
 * checkpoints in and out (.npz, TF.js), labels, predict and features. Isomorphic; Node-only
 * parts (file paths, disk cache) are in `@bit/models/node`.
 */
import '@bit/layers';

export * from './architecture/spec.js';
export { buildResNetV2, headLayer, type BuildOptions } from './architecture/resnetv2.js';
export { replaceHead, endpointsModel, unitsOf, type EndpointName } from './architecture/head.js';
export * as checkpointNames from './architecture/names.js';
export {
  checkpointLayout,
  inferArchitecture,
  checkLayout,
  CheckpointMismatchError,
  type LayoutEntry,
} from './checkpoint/layout.js';
export {
  modelWeights,
  loadWeightsInto,
  exportWeights,
  type NamedArray,
  type NamedArraySource,
  type ModelWeight,
} from './checkpoint/weights.js';
export * from './formats/npz/index.js';
export * from './formats/tfjs/index.js';
export * from './io/index.js';
export * from './errors.js';
export * from './zoo/registry.js';
export * from './labels/index.js';
export * from './download/index.js';
export { getBiTMetadata, setBiTMetadata, type BiTMetadata } from './api/metadata.js';
export { ImageInputError, type ImageInput } from './api/inputs.js';
export {
  predict,
  features,
  featureExtractor,
  resolveLabels,
  type Prediction,
  type PredictOptions,
  type TopClass,
  type FeaturesOptions,
} from './api/predict.js';
export {
  loadBiT,
  modelFromArrays,
  modelFromNpz,
  zooUrl,
  type BiTSource,
  type LoadBiTOptions,
} from './api/load.js';
export { exportNpz, type ExportNpzOptions } from './api/export.js';
