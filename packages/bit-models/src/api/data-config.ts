import { getLabels } from '../labels/index';
import { headClasses, type BiTModel } from './engine';
import { getBiTMetadata } from './metadata';

/** Eval resolution of a model that records none (the upstream BiT checkpoints' 224 px). */
export const DEFAULT_RESOLUTION = 224;

/**
 * How to feed a model, in the manner of timm's `resolve_data_config`: the eval input size (the
 * HyperRule's eval transform resizes straight to it, bilinear, no crop), the input range, and
 * the class names.
 */
export interface BiTDataConfig {
  /** Side of the square eval input (the model's fine-tuning crop, or its zoo entry's). */
  readonly resolution: number;
  /** `[height, width, channels]` of one eval input (NHWC layout). */
  readonly inputSize: readonly [number, number, 3];
  /** Resize method of the eval transform (half-pixel centres, as TF2's `tf.image.resize`). */
  readonly interpolation: 'bilinear';
  /** Fraction of the image kept before resizing: 1 (BiT resizes the whole image, no centre crop). */
  readonly cropPct: 1;
  /** Float inputs are pixels in this range; int32 inputs are 0–255 and get scaled to it. */
  readonly inputRange: readonly [0, 1];
  /**
   * Normalisation the model applies itself (x * 2 - 1, i.e. mean 0.5, std 0.5): do not apply
   * it again.
   */
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  /** Output classes (0: a features-only model, outputs pre-logits). */
  readonly numClasses: number;
  /** Class names, when known. */
  readonly labels: readonly string[] | null;
  /** The registered label set the names come from (`imagenet21k`), when they come from one. */
  readonly labelSet: string | null;
}

/**
 * The data config of a BiT model, from its metadata (see {@link BiTDataConfig}). Resolution
 * defaults to {@link DEFAULT_RESOLUTION} when the model records none.
 */
export async function resolveDataConfig(model: BiTModel): Promise<BiTDataConfig> {
  const meta = getBiTMetadata(model);
  const resolution = meta?.resolution ?? DEFAULT_RESOLUTION;
  const spec = meta?.labels ?? null;
  const labels = spec === null ? null : typeof spec === 'string' ? await getLabels(spec) : spec;
  const numClasses = meta?.architecture.numClasses ?? headClasses(model);
  return {
    resolution,
    inputSize: [resolution, resolution, 3],
    interpolation: 'bilinear',
    cropPct: 1,
    inputRange: [0, 1],
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
    numClasses,
    labels,
    labelSet: typeof spec === 'string' ? spec : null,
  };
}
