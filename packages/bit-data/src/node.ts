/**
 * @bit/data/node: disk sources (image folders, CSV/JSONL manifests, IDX, CIFAR), native
 * decoding (sharp, with a pure-JS fallback), the worker-thread pool and `inspectSource`, plus
 * everything in `@bit/data` (like the other packages' `/node` entries).
 */
export * from './index';
export {
  decodeImageBytes,
  decodeImageFile,
  resolveDecoder,
  type DecoderPreference,
} from './node/decode';
export { decodeWithJs, isJpeg, isPng, jpegHasEnd } from './node/decode/js';
export { decodeWithSharp, loadSharp, type SharpFunction } from './node/decode/sharp';

export {
  imageFolderSourcePlugin,
  openImageFolder,
  SPLIT_FOLDERS,
  type ImageFolderOptions,
} from './node/sources/image-folder';
export { manifestSourcePlugin, openManifest, type ManifestOptions } from './node/sources/manifest';
export { findIdxFolder, idxSourcePlugin, openIdx, type IdxOptions } from './node/sources/idx';
export {
  cifarSourcePlugin,
  findCifarFolder,
  openCifar,
  type CifarOptions,
} from './node/sources/cifar';
export { fileImage, IMAGE_EXTENSIONS } from './node/sources/fs-utils';
export { validateSource, type ValidationResult } from './node/sources/validate';

export { createNodeSourceRegistry, nodeSourceRegistry, openSource } from './node/registry';
export { inspectSource, type SourceInspection } from './node/inspect';
export {
  createWorkerPool,
  defaultWorkerUrl,
  WorkerPool,
  type WorkerPoolOptions,
} from './node/worker-pool';
