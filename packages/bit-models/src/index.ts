/**
 * @bit/models: BiT (Big Transfer) ResNetV2 models for TensorFlow.js — the model zoo, official
 * checkpoints in and out (.npz, TF.js), labels, predict and features. Isomorphic; Node-only
 * parts (file paths, disk cache) are in `@bit/models/node`.
 */
import '@bit/layers';

export * from './architecture/spec';
export { buildResNetV2, headLayer, type BuildOptions } from './architecture/resnetv2';
export { replaceHead, endpointsModel, unitsOf, type EndpointName } from './architecture/head';
export * as checkpointNames from './architecture/names';
export {
  checkpointLayout,
  inferArchitecture,
  checkLayout,
  CheckpointMismatchError,
  type LayoutEntry,
} from './checkpoint/layout';
export {
  modelWeights,
  loadWeightsInto,
  exportWeights,
  type NamedArray,
  type NamedArraySource,
  type ModelWeight,
} from './checkpoint/weights';
export * from './formats/npz/index';
export * from './formats/tfjs/index';
export * from './io/index';
export * from './errors';
export * from './zoo/registry';
export * from './labels/index';
export * from './download/index';
export { getBiTMetadata, setBiTMetadata, type BiTMetadata } from './api/metadata';
export {
  ImageInputError,
  PixelRangeError,
  PIXEL_TOLERANCE,
  toUnitPixels,
  type ImageInput,
} from './api/inputs';
export { classify, type ClassifyInput, type ClassifyOptions } from './api/classify';
export { resolveDataConfig, DEFAULT_RESOLUTION, type BiTDataConfig } from './api/data-config';
export {
  registerImageDecoder,
  listImageDecoders,
  decodeImageInput,
  type ImageDecoderPlugin,
} from './api/images';
export {
  predict,
  features,
  featureExtractor,
  resolveLabels,
  type Prediction,
  type PredictOptions,
  type TopClass,
  type FeaturesOptions,
} from './api/predict';
export {
  loadBiT,
  resolveSource,
  resolveUrl,
  isModelJsonUrl,
  modelFromArrays,
  modelFromNpz,
  zooUrl,
  type BiTSource,
  type LoadBiTOptions,
} from './api/load';
export {
  finishLoad,
  withNewHead,
  artifactsWithNewHead,
  baseName,
  type ResolvedCheckpoint,
  type CheckpointPayload,
  type FinishOptions,
} from './api/pipeline';
export { ProgressByteSource } from './api/progress-source';
export {
  OnnxBiTModel,
  OnnxRuntimeMissingError,
  setOnnxRuntimeDefaults,
  type OnnxEngineOptions,
  type OnnxRuntimeDefaults,
  type OrtModule,
} from './api/onnx-engine';
export { embeddedAssetUrl, EmbeddedModelError } from './api/embedded';
export { exportNpz, type ExportNpzOptions } from './api/export';
export { exportOnnx, type ExportOnnxOptions } from './api/export-onnx';
export {
  buildOnnx,
  standardizedKernelOIHW,
  OnnxExportError,
  ONNX_OPSET,
  ONNX_INPUT,
  ONNX_LOGITS,
  ONNX_PRELOGITS,
  ONNX_METADATA_KEYS,
  ONNX_EXTERNAL_ALIGNMENT,
  ONNX_EXTERNAL_DATA_AUTO_BYTES,
  type BuildOnnxOptions,
  type OnnxExportMetadata,
  type OnnxExternalDataSink,
} from './formats/onnx/export';
export {
  readOnnxHeader,
  readOnnxExternalLocations,
  type OnnxHeader,
  type OnnxExternalLocation,
} from './formats/onnx/proto';
export {
  isEngineModel,
  disposeModel,
  headClasses,
  type BiTEngineModel,
  type BiTModel,
  type EngineOutput,
  type EngineResult,
} from './api/engine';
