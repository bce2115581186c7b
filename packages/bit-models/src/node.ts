/**
 * @bit/models/node: everything in `@bit/models`, plus Node-only parts — file paths, the
 * download cache, .npz files on disk, TF.js model folders — and a `loadBiT` that takes them.
 */
export * from './index';
import { registerNodeImageDecoders } from './node/images';

registerNodeImageDecoders();
export { registerNodeImageDecoders };
export * from './io/node';
export * from './formats/npz/node';
export * from './formats/tfjs/node';
export * from './download/node';
export {
  loadBiT,
  registerEngine,
  engineNames,
  UnknownEngineError,
  type EngineLoader,
  type EngineLoadOptions,
  resolveNodeSource,
  verifyNpzFile,
  type NodeLoadBiTOptions,
  type NodeBiTSource,
} from './node/load';
export {
  isRunFolder,
  readRunFolder,
  RUN_FOLDER_FILES,
  type RunFolderModel,
} from './node/run-folder';
export { embeddedAssetPath, packageRoot } from './node/embedded';
export {
  saveBiT,
  saveOnnx,
  saveOnnxWithExternalData,
  defaultOnnxExternalData,
  type SaveBiTOptions,
} from './node/save';
export {
  OnnxBiTModel,
  OnnxRuntimeMissingError,
  loadOnnx,
  loadOnnxRuntime,
  isOnnxFile,
  ONNXRUNTIME_PACKAGE,
  type OnnxEngineOptions,
} from './node/onnx';
