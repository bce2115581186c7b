/**
 * The fixed numbers of the BiT-HyperRule, as in the official
 * google-research/big_transfer code (`bit_hyperrule.py` and the `train.py` scripts).
 */
export const HYPERRULE_DEFAULTS = Object.freeze({
  /** Base learning rate (official `--base_lr` default). Not scaled with the batch size. */
  baseLr: 0.003,
  /** Batch size (official `--batch` default). */
  batchSize: 512,
  /** SGD momentum. */
  momentum: 0.9,
  /** Weight decay (none in the official fine-tuning code). */
  weightDecay: 0,
  /** Images with area `h * w` strictly below this (96*96 = 9216) count as small. */
  smallImageArea: 96 * 96,
  /** Datasets with fewer examples than this (20k) are small: short schedule, no MixUp. */
  smallDatasetSize: 20_000,
  /** Datasets with fewer examples than this (500k) (and >= 20k) are medium. */
  mediumDatasetSize: 500_000,
  /** MixUp alpha for datasets of at least `smallDatasetSize` examples. */
  mixupAlpha: 0.1,
});

/** Resolutions (`precrop` = resize size, `crop` = random crop size) for small and large images. */
export const HYPERRULE_RESOLUTIONS = Object.freeze({
  /** Area < 96*96: resize to 160, random crop 128. */
  small: Object.freeze({ precrop: 160, crop: 128 }),
  /** Area >= 96*96: resize to 512, random crop 480. */
  large: Object.freeze({ precrop: 512, crop: 480 }),
});

/**
 * Step boundaries of the official schedules: `[warm-up end, decay, decay, decay, end]`.
 * `small` for n < 20k, `medium` for n < 500k, `large` otherwise.
 */
export const HYPERRULE_SCHEDULES = Object.freeze({
  small: Object.freeze([100, 200, 300, 400, 500] as const),
  medium: Object.freeze([500, 3000, 6000, 9000, 10_000] as const),
  large: Object.freeze([500, 6000, 12_000, 18_000, 20_000] as const),
});

/** Image sizes `[h, w]` of the datasets that the official `known_dataset_sizes` lists. */
export const KNOWN_DATASET_IMAGE_SIZES: Readonly<Record<string, readonly [number, number]>> =
  Object.freeze({
    cifar10: [32, 32],
    cifar100: [32, 32],
    oxford_iiit_pet: [224, 224],
    oxford_flowers102: [224, 224],
    imagenet2012: [224, 224],
  });
