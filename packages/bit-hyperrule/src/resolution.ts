import { HYPERRULE_DEFAULTS, HYPERRULE_RESOLUTIONS, KNOWN_DATASET_IMAGE_SIZES } from './constants';
import { HyperRuleError } from './errors';
import { assertImageSize, assertPositiveInteger, describeValue } from './validate';

/** Training resolution: resize the image to `precrop` x `precrop`, then random-crop `crop` x `crop`. */
export interface Resolution {
  /** Side of the square the image is resized to before the random crop. */
  precrop: number;
  /** Side of the random crop (training) and of the resize at evaluation. */
  crop: number;
}

/**
 * HyperRule resolution for images of size `[height, width]` (official `get_resolution`):
 * area `h * w < 96*96` -> `{ precrop: 160, crop: 128 }`, otherwise `{ precrop: 512, crop: 480 }`.
 * At evaluation, images are resized straight to `crop`.
 *
 * @throws HyperRuleError (a RangeError) unless `imageSize` is a pair of positive integers.
 */
export function getResolution(imageSize: readonly [number, number]): Resolution {
  const [h, w] = assertImageSize('getResolution', 'imageSize', imageSize);
  const r =
    h * w < HYPERRULE_DEFAULTS.smallImageArea
      ? HYPERRULE_RESOLUTIONS.small
      : HYPERRULE_RESOLUTIONS.large;
  return { precrop: r.precrop, crop: r.crop };
}

/**
 * Resolution for a dataset listed in {@link KNOWN_DATASET_IMAGE_SIZES}
 * (official `get_resolution_from_dataset`).
 *
 * @throws HyperRuleError (a RangeError) for a dataset name that is not listed.
 */
export function getResolutionFromDataset(dataset: string): Resolution {
  const size = Object.prototype.hasOwnProperty.call(KNOWN_DATASET_IMAGE_SIZES, dataset)
    ? KNOWN_DATASET_IMAGE_SIZES[dataset]
    : undefined;
  if (size === undefined) {
    throw new HyperRuleError(
      'getResolutionFromDataset',
      'dataset',
      `must be one of ${Object.keys(KNOWN_DATASET_IMAGE_SIZES).join(', ')}, got ${describeValue(dataset)}`,
    );
  }
  return getResolution(size);
}

/**
 * The resolution for a crop other than the HyperRule's own (a smaller one for a CPU budget): the
 * precrop keeps the HyperRule's ratio, 160/128 for crops below 480 and 512/480 from 480 up,
 * rounded to whole pixels (`resolutionForCrop(128)` is `{ precrop: 160, crop: 128 }`,
 * `resolutionForCrop(32)` is `{ precrop: 40, crop: 32 }`).
 *
 * @throws HyperRuleError (a RangeError) unless `crop` is a positive integer.
 */
export function resolutionForCrop(crop: number): Resolution {
  assertPositiveInteger('resolutionForCrop', 'crop', crop);
  const { small, large } = HYPERRULE_RESOLUTIONS;
  const r = crop < large.crop ? small : large;
  return { precrop: Math.round((crop * r.precrop) / r.crop), crop };
}
