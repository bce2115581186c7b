/**
 * @bit/models/node: everything in `@bit/models`, plus Node-only parts — file paths, the
 * download cache, .npz files on disk, TF.js model folders — and a `loadBiT` that takes them.
 */
export * from './index.js';
import { registerNodeImageDecoders } from './node/images.js';

registerNodeImageDecoders();
export { registerNodeImageDecoders };
export * from './io/node.js';
export * from './formats/npz/node.js';
export * from './formats/tfjs/node.js';
export * from './download/node.js';
export {
  loadBiT,
  resolveNodeSource,
  verifyNpzFile,
  type NodeLoadBiTOptions,
  type NodeBiTSource,
} from './node/load.js';
export {
  isRunFolder,
  readRunFolder,
  RUN_FOLDER_FILES,
  type RunFolderModel,
} from './node/run-folder.js';
export { embeddedAssetPath, packageRoot } from './node/embedded.js';
export { saveBiT, type SaveBiTOptions } from './node/save.js';
