/**
 * @bit/data: input pipelines for BiT fine-tuning (isomorphic entry). Sources, HyperRule
 * transforms, MixUp, few-shot selection, batching and prefetch on typed arrays; Node disk
 * sources, native decoding and the worker pool live in `@bit/data/node`.
 */
export {
  BitDataError,
  DataArgumentError,
  DataFormatError,
  ImageDecodeError,
  ImageTooLargeError,
  SourceNotFoundError,
} from './errors';
export {
  applyExifOrientation,
  isLazyImage,
  loadImage,
  toRgbImage,
  type DecodedImage,
  type ImageRef,
  type LazyImage,
} from './image';

export { Rng, type RngState } from './random/rng';
export { sampleBeta, sampleGamma, sampleLogGamma, sampleMixupLambda } from './random/distributions';

export {
  halfPixelTaps,
  resizeBilinear,
  resizeWindowInto,
  type AxisTaps,
  type FloatImage,
} from './transforms/resize';
export { crop, flipLeftRight, type HwcImage } from './transforms/crop-flip';
export {
  applyAugment,
  applyAugmentInto,
  checkCropArea,
  checkResolution,
  sampleAugmentParams,
  type AugmentParams,
  type Resolution,
  type TransformOptions,
} from './transforms/hyperrule';
export {
  getAugmentation,
  listAugmentations,
  registerAugmentation,
  type Augmentation,
} from './transforms/augmentations';

export { mixupArrays, mixupRows, mixupRowsInPlace, oneHot } from './mixup/arrays';
export { mixupBatch } from './mixup/tensors';

export type {
  DataSource,
  Example,
  SkippedFile,
  SourceMetadata,
  SourceOpenOptions,
  SourcePlugin,
  SourceSpec,
  WarningHandler,
} from './sources/types';
export { defaultWarningHandler } from './sources/types';
export {
  ArraySource,
  countClasses,
  makeMetadata,
  subsetSource,
  type MetadataInit,
} from './sources/view';
export { fewShot, resolveClassSelection, selectClasses } from './sources/select';
export { canonicalSplit, sameSplit } from './sources/splits';
export { SourceRegistry, isSourceSpec } from './sources/registry';
export {
  arraysSourcePlugin,
  examplesSourcePlugin,
  fromArrays,
  fromExamples,
  fromTensors,
  tensorsSourcePlugin,
  type ArraysInput,
} from './sources/memory';
export { createSourceRegistry, openSource, sourceRegistry } from './sources/default-registry';

export { IDX_FILES, FASHION_MNIST_CLASSES, isGzip, parseIdx, type IdxArray } from './formats/idx';
export {
  CIFAR10_CLASSES,
  CIFAR100_COARSE_CLASSES,
  CIFAR100_FINE_CLASSES,
  parseCifar,
  type CifarRecords,
  type CifarVariant,
} from './formats/cifar';
export {
  parseCsvManifest,
  parseCsvRows,
  parseJsonlManifest,
  resolveManifestLabels,
  type ManifestEntry,
} from './formats/manifest';
export { readJpegOrientation } from './formats/exif';

export { Stream, prefetchIterator } from './pipeline/stream';
export {
  BatchPlanner,
  type PipelineState,
  type PlannedItem,
  type PlannerOptions,
} from './pipeline/planner';
export {
  createLocalExecutor,
  executeTask,
  type BatchExecutor,
  type ItemTask,
} from './pipeline/executor';
export { Pipeline, createPipeline, type Batch, type PipelineOptions } from './pipeline/pipeline';
export {
  batchToTensors,
  toTfDataset,
  type TensorBatch,
  type TfDataModule,
} from './pipeline/tensors';

export {
  checkDeclaredSize,
  checkImageHeader,
  DEFAULT_MAX_PIXELS,
  readImageHeader,
  resolveMaxPixels,
  type ImageHeader,
} from './formats/image-header';
export {
  decodeBlob,
  decodeDrawable,
  decodeUrl,
  decodeWithTf,
  type DrawableImage,
} from './browser/decode';
export {
  blobsSourcePlugin,
  filesSourcePlugin,
  fromBlobs,
  fromFiles,
  fromImageElements,
  fromUrls,
  imageElementsSourcePlugin,
  urlsSourcePlugin,
} from './browser/sources';
