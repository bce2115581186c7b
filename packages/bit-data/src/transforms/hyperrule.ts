/**
 * The BiT-HyperRule image transforms. Train: resize to `precrop` x `precrop` (aspect
 * ratio not kept, as in bit_tf2), random `crop` x `crop` window, random horizontal flip;
 * crop and flip can each be switched off (no crop for counting tasks: resize straight to
 * the crop size; no flip for orientation tasks). Eval: resize straight to the crop size.
 * BiT's upstream training crops differently, Inception-style (`cropArea`): a random box of a
 * random share of the image's area and aspect ratio, resized to `crop` x `crop`.
 * Parameters are drawn first (from the pipeline's seeded RNG) and applied after, so the same
 * parameters give the same pixels in any thread.
 */
import { DataArgumentError } from '../errors';
import type { DecodedImage } from '../image';
import type { Rng } from '../random/rng';
import { getAugmentation } from './augmentations';
import { resizeWindowInto, type FloatImage } from './resize';

/** Resize and crop sizes, as @bit/hyperrule's `getResolution([h, w])` returns them. */
export interface Resolution {
  readonly precrop: number;
  readonly crop: number;
}

/** How to transform images. */
export interface TransformOptions {
  /** 'train': random crop + flip; 'eval': resize to the crop size. */
  readonly mode: 'train' | 'eval';
  readonly resolution: Resolution;
  /** Random crop in training (default true). Off: resize straight to the crop size. */
  readonly crop?: boolean;
  /**
   * Inception-style crop instead (train, with `crop` on): the box covers a share of the image's
   * area drawn uniformly from `[min, max]` (big_vision's BiT upstream: `[0.05, 1]`), with an
   * aspect ratio drawn log-uniformly from [3/4, 4/3], and is resized to `crop` x `crop`
   * (`precrop` is unused). Shares and aspect are taken on the image squashed to a square, as
   * the HyperRule's resize does; after 10 draws that do not fit, the whole image is used.
   */
  readonly cropArea?: readonly [number, number];
  /** Random horizontal flip in training (default true). */
  readonly flip?: boolean;
  /** Extra registered augmentations (train only), applied in this order after the flip. */
  readonly augmentations?: readonly { readonly name: string; readonly options?: unknown }[];
}

/** The parameters of one image's transform (structured-clone serialisable). */
export interface AugmentParams {
  readonly resizeHeight: number;
  readonly resizeWidth: number;
  readonly top: number;
  readonly left: number;
  /** Output height and width. */
  readonly height: number;
  readonly width: number;
  readonly flip: boolean;
  readonly extra?: readonly { readonly name: string; readonly params: unknown }[];
}

/** Checks a resolution; throws DataArgumentError naming the bad field. */
export function checkResolution(resolution: Resolution): void {
  const { precrop, crop } = resolution ?? ({} as Resolution);
  if (!Number.isInteger(crop) || crop <= 0) {
    throw new DataArgumentError(`resolution.crop must be a positive integer, got ${crop}`);
  }
  if (!Number.isInteger(precrop) || precrop < crop) {
    throw new DataArgumentError(
      `resolution.precrop must be an integer >= crop (${crop}), got ${precrop}`,
    );
  }
}

/** Checks an Inception crop's area range; throws DataArgumentError naming the field. */
export function checkCropArea(cropArea: readonly [number, number] | undefined): void {
  if (cropArea === undefined) return;
  const [min, max] = Array.isArray(cropArea) ? cropArea : [NaN, NaN];
  if (!Array.isArray(cropArea) || cropArea.length !== 2 || !(min > 0 && min <= max && max <= 1)) {
    throw new DataArgumentError(
      `cropArea must be [min, max] with 0 < min <= max <= 1, got ${JSON.stringify(cropArea)}`,
    );
  }
}

/** Draws that may miss before an Inception crop falls back to the whole image (as TF's sampler). */
const INCEPTION_ATTEMPTS = 10;

/**
 * An Inception crop of a square image as resize sides and a window: the box's side shares
 * (of height and width) `fh`, `fw` make the resized image `crop / fh` x `crop / fw`, of which
 * the `crop` x `crop` window at a random place is the box.
 */
function sampleInceptionBox(
  rng: Rng,
  crop: number,
  [minArea, maxArea]: readonly [number, number],
): { resizeHeight: number; resizeWidth: number; top: number; left: number } {
  let fh = 1;
  let fw = 1;
  for (let attempt = 0; attempt < INCEPTION_ATTEMPTS; attempt++) {
    const area = minArea + (maxArea - minArea) * rng.next();
    const aspect = Math.exp(Math.log(3 / 4) + Math.log(16 / 9) * rng.next());
    const h = Math.sqrt(area / aspect);
    const w = Math.sqrt(area * aspect);
    if (h <= 1 && w <= 1) {
      fh = h;
      fw = w;
      break;
    }
  }
  const resizeHeight = Math.max(crop, Math.round(crop / fh));
  const resizeWidth = Math.max(crop, Math.round(crop / fw));
  const top = rng.nextInt(resizeHeight - crop + 1);
  const left = rng.nextInt(resizeWidth - crop + 1);
  return { resizeHeight, resizeWidth, top, left };
}

/**
 * Draws one image's transform parameters. Draw order (fixed, part of the reproducibility
 * contract): crop top, crop left (when cropping; an Inception crop first draws area and aspect
 * pairs until one fits), flip (when flipping), then each extra augmentation in order.
 */
export function sampleAugmentParams(rng: Rng, options: TransformOptions): AugmentParams {
  checkResolution(options.resolution);
  const { precrop, crop } = options.resolution;
  if (options.mode === 'eval') {
    return {
      resizeHeight: crop,
      resizeWidth: crop,
      top: 0,
      left: 0,
      height: crop,
      width: crop,
      flip: false,
    };
  }
  if (options.mode !== 'train') {
    throw new DataArgumentError(
      `transform mode must be 'train' or 'eval', got ${String(options.mode)}`,
    );
  }
  checkCropArea(options.cropArea);
  const doCrop = options.crop ?? true;
  const size = doCrop ? precrop : crop;
  const box =
    doCrop && options.cropArea
      ? sampleInceptionBox(rng, crop, options.cropArea)
      : {
          resizeHeight: size,
          resizeWidth: size,
          top: doCrop ? rng.nextInt(precrop - crop + 1) : 0,
          left: doCrop ? rng.nextInt(precrop - crop + 1) : 0,
        };
  const flip = (options.flip ?? true) ? rng.next() < 0.5 : false;
  const extra = options.augmentations?.map((a) => ({
    name: a.name,
    params: getAugmentation(a.name).sample(rng, a.options),
  }));
  return {
    ...box,
    height: crop,
    width: crop,
    flip,
    ...(extra && extra.length ? { extra } : {}),
  };
}

/** Applies transform parameters to an image, writing float32 HWC in [0, 1] into `out` at `offset`. */
export function applyAugmentInto(
  image: DecodedImage,
  params: AugmentParams,
  out: Float32Array,
  offset: number,
): void {
  resizeWindowInto(
    image,
    params.resizeHeight,
    params.resizeWidth,
    params.top,
    params.left,
    params.height,
    params.width,
    params.flip,
    out,
    offset,
  );
  if (params.extra) {
    const view = out.subarray(offset, offset + params.height * params.width * 3);
    for (const e of params.extra)
      getAugmentation(e.name).apply(view, params.height, params.width, e.params);
  }
}

/** Applies transform parameters to an image and returns the float32 result. */
export function applyAugment(image: DecodedImage, params: AugmentParams): FloatImage {
  const out = new Float32Array(params.height * params.width * 3);
  applyAugmentInto(image, params, out, 0);
  return { data: out, height: params.height, width: params.width, channels: 3 };
}
