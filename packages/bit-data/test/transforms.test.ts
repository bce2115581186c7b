import { describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../../test-utils/backends';
import { Rng } from '../src/random/rng';
import { crop, flipLeftRight } from '../src/transforms/crop-flip';
import {
  applyAugment,
  sampleAugmentParams,
  type AugmentParams,
  type TransformOptions,
} from '../src/transforms/hyperrule';
import { resizeBilinear } from '../src/transforms/resize';
import { applyExifOrientation, toRgbImage, type DecodedImage } from '../src/image';
import { randomImage } from './helpers';

/** Float64 reference of TF2 tf.image.resize bilinear (half-pixel centres, clamped neighbours). */
function referenceResize(img: DecodedImage, oh: number, ow: number): Float64Array {
  const { data, height: ih, width: iw } = img;
  const out = new Float64Array(oh * ow * 3);
  const clamp = (v: number, n: number): number => Math.min(Math.max(v, 0), n - 1);
  for (let y = 0; y < oh; y++) {
    const sy = ((y + 0.5) * ih) / oh - 0.5;
    const y0 = Math.floor(sy);
    const wy = sy - y0;
    for (let x = 0; x < ow; x++) {
      const sx = ((x + 0.5) * iw) / ow - 0.5;
      const x0 = Math.floor(sx);
      const wx = sx - x0;
      for (let c = 0; c < 3; c++) {
        const p = (yy: number, xx: number): number =>
          data[(clamp(yy, ih) * iw + clamp(xx, iw)) * 3 + c];
        const v =
          (1 - wy) * ((1 - wx) * p(y0, x0) + wx * p(y0, x0 + 1)) +
          wy * ((1 - wx) * p(y0 + 1, x0) + wx * p(y0 + 1, x0 + 1));
        out[(y * ow + x) * 3 + c] = v / 255;
      }
    }
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('resizeBilinear (TF2 half-pixel semantics)', () => {
  it.each([
    [7, 5, 16, 12],
    [28, 28, 160, 160],
    [33, 20, 10, 7],
    [9, 9, 9, 9],
    [1, 4, 3, 8],
  ])('%ix%i -> %ix%i matches a float64 reference', (ih, iw, oh, ow) => {
    const img = randomImage(ih, iw, ih * 100 + iw);
    const out = resizeBilinear(img, oh, ow);
    expect(out.height).toBe(oh);
    expect(maxAbsDiff(out.data, referenceResize(img, oh, ow))).toBeLessThan(1e-6);
  });

  it('same size is the identity (value / 255)', () => {
    const img = randomImage(6, 5, 3);
    const out = resizeBilinear(img, 6, 5);
    expect(
      maxAbsDiff(
        out.data,
        Array.from(img.data, (v) => v / 255),
      ),
    ).toBeLessThan(1e-7);
  });

  it('agrees with tfjs resizeBilinear(halfPixelCenters=true) on cpu', async () => {
    await useBackend('cpu');
    const img = randomImage(13, 17, 9);
    const ours = resizeBilinear(img, 30, 8);
    const theirs = tf.tidy(() =>
      tf.div(
        tf.image.resizeBilinear(
          tf.tensor3d(img.data, [13, 17, 3], 'float32'),
          [30, 8],
          false,
          true,
        ),
        255,
      ),
    );
    expect(maxAbsDiff(ours.data, theirs.dataSync())).toBeLessThan(1e-5);
    theirs.dispose();
  });
});

describe('crop and flip', () => {
  it('crop equals a direct slice', () => {
    const img = randomImage(10, 12, 1);
    const c = crop(img, 3, 4, 5, 6);
    for (let y = 0; y < 5; y++)
      for (let x = 0; x < 6; x++)
        for (let k = 0; k < 3; k++)
          expect(c.data[(y * 6 + x) * 3 + k]).toBe(img.data[((y + 3) * 12 + x + 4) * 3 + k]);
    expect(() => crop(img, 6, 0, 5, 6)).toThrow(/outside/);
  });

  it('flip maps (y, x) to (y, w - 1 - x) and is an involution', () => {
    const img = randomImage(4, 7, 2);
    const f = flipLeftRight(img);
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 7; x++)
        for (let k = 0; k < 3; k++)
          expect(f.data[(y * 7 + x) * 3 + k]).toBe(img.data[(y * 7 + (6 - x)) * 3 + k]);
    expect(flipLeftRight(f).data).toEqual(img.data);
  });
});

/** The transform of `p` as separate steps: resize, then crop, then flip. */
function unfused(img: DecodedImage, p: AugmentParams) {
  const ref = crop(
    resizeBilinear(img, p.resizeHeight, p.resizeWidth),
    p.top,
    p.left,
    p.height,
    p.width,
  );
  return p.flip ? flipLeftRight(ref) : ref;
}

describe('HyperRule augmentation', () => {
  const train: TransformOptions = { mode: 'train', resolution: { precrop: 20, crop: 16 } };

  it('the fused resize/crop/flip equals resize, then crop, then flip', () => {
    const img = randomImage(11, 14, 4);
    const rng = new Rng(3);
    let flips = 0;
    for (let t = 0; t < 20; t++) {
      const p = sampleAugmentParams(rng, train);
      flips += p.flip ? 1 : 0;
      expect(maxAbsDiff(applyAugment(img, p).data, unfused(img, p).data)).toBe(0);
    }
    expect(flips).toBeGreaterThan(2);
    expect(flips).toBeLessThan(18);
  });

  it('crops stay within bounds and cover every offset', () => {
    const rng = new Rng(8);
    const seen = new Set<number>();
    for (let t = 0; t < 500; t++) {
      const p = sampleAugmentParams(rng, train);
      expect(p.top).toBeGreaterThanOrEqual(0);
      expect(p.left).toBeGreaterThanOrEqual(0);
      expect(p.top + p.height).toBeLessThanOrEqual(p.resizeHeight);
      expect(p.left + p.width).toBeLessThanOrEqual(p.resizeWidth);
      seen.add(p.top);
    }
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('crop and flip can be switched off; eval resizes straight to the crop', () => {
    const rng = new Rng(1);
    for (let t = 0; t < 50; t++) {
      const p = sampleAugmentParams(rng, { ...train, crop: false, flip: false });
      expect(p).toMatchObject({ resizeHeight: 16, resizeWidth: 16, top: 0, left: 0, flip: false });
    }
    const before = rng.getState();
    const e = sampleAugmentParams(rng, { ...train, mode: 'eval' });
    expect(e).toMatchObject({ resizeHeight: 16, top: 0, flip: false, height: 16 });
    expect(rng.getState()).toEqual(before); // eval draws nothing
    const img = randomImage(9, 9, 5);
    expect(maxAbsDiff(applyAugment(img, e).data, referenceResize(img, 16, 16))).toBeLessThan(1e-6);
    expect(() =>
      sampleAugmentParams(rng, { mode: 'train', resolution: { precrop: 10, crop: 16 } }),
    ).toThrow(/precrop/);
  });
});

describe('Inception-style crop (cropArea)', () => {
  const train: TransformOptions = {
    mode: 'train',
    resolution: { precrop: 20, crop: 16 },
    cropArea: [0.05, 1],
  };

  it('boxes cover a share of the area in the range, aspect in [3/4, 4/3], inside the image', () => {
    const rng = new Rng(4);
    const shares: number[] = [];
    for (let t = 0; t < 2000; t++) {
      const p = sampleAugmentParams(rng, train);
      // The window is the box: its share of each side is crop / resized side.
      const fh = p.height / p.resizeHeight;
      const fw = p.width / p.resizeWidth;
      const share = fh * fw;
      shares.push(share);
      // Rounding the resized sides to integers moves the share by at most a few per cent.
      expect(share).toBeGreaterThan(0.05 * 0.85);
      expect(share).toBeLessThanOrEqual(1);
      if (share < 1) {
        expect(fw / fh).toBeGreaterThan((3 / 4) * 0.9);
        expect(fw / fh).toBeLessThan((4 / 3) * 1.1);
      }
      expect(p.top + p.height).toBeLessThanOrEqual(p.resizeHeight);
      expect(p.left + p.width).toBeLessThanOrEqual(p.resizeWidth);
      expect(p.top).toBeGreaterThanOrEqual(0);
    }
    // Uniform in area: about a tenth of the boxes below 0.145 (large boxes that do not fit
    // are drawn again, which moves a little weight down); large boxes occur too.
    const below = shares.filter((s) => s < 0.145).length / shares.length;
    expect(below).toBeGreaterThan(0.06);
    expect(below).toBeLessThan(0.16);
    expect(shares.filter((s) => s > 0.6 && s < 1).length).toBeGreaterThan(100);
  });

  it('renders as resize, then crop, then flip; [1, 1] is the whole image', () => {
    const img = randomImage(11, 14, 6);
    const rng = new Rng(2);
    for (let t = 0; t < 20; t++) {
      const p = sampleAugmentParams(rng, train);
      expect(maxAbsDiff(applyAugment(img, p).data, unfused(img, p).data)).toBe(0);
    }
    for (let t = 0; t < 20; t++) {
      const p = sampleAugmentParams(rng, { ...train, cropArea: [1, 1] });
      expect(p).toMatchObject({ resizeHeight: 16, resizeWidth: 16, top: 0, left: 0 });
    }
  });

  it('the same seed draws the same boxes; crop off ignores it; bad ranges are named', () => {
    const a = new Rng(9);
    const b = new Rng(9);
    for (let t = 0; t < 50; t++) {
      expect(sampleAugmentParams(a, train)).toEqual(sampleAugmentParams(b, train));
    }
    const p = sampleAugmentParams(a, { ...train, crop: false, flip: false });
    expect(p).toMatchObject({ resizeHeight: 16, resizeWidth: 16, top: 0, left: 0 });
    for (const bad of [[0, 1], [0.5, 0.2], [0.5, 1.5], [0.3]] as unknown as [number, number][]) {
      expect(() => sampleAugmentParams(a, { ...train, cropArea: bad })).toThrow(/cropArea/);
    }
  });
});

describe('image helpers', () => {
  it('gray and RGBA become RGB', () => {
    expect(Array.from(toRgbImage(Uint8Array.from([5, 9]), 1, 2, 1).data)).toEqual([
      5, 5, 5, 9, 9, 9,
    ]);
    expect(Array.from(toRgbImage(Uint8Array.from([1, 2, 3, 4]), 1, 1, 4).data)).toEqual([1, 2, 3]);
  });

  it('EXIF orientations: 6 and 8 rotate, 3 is 180 degrees, 5..8 swap dims', () => {
    // 2x3 image with pixel value = 10 * y + x in every channel.
    const img = toRgbImage(Uint8Array.from([0, 1, 2, 10, 11, 12]), 2, 3, 1);
    const at = (im: DecodedImage, y: number, x: number): number => im.data[(y * im.width + x) * 3];
    const o6 = applyExifOrientation(img, 6); // 90 degrees clockwise
    expect([o6.height, o6.width]).toEqual([3, 2]);
    expect([at(o6, 0, 0), at(o6, 0, 1), at(o6, 2, 0)]).toEqual([10, 0, 12]);
    const o8 = applyExifOrientation(img, 8); // 90 degrees counter-clockwise
    expect([at(o8, 0, 0), at(o8, 0, 1), at(o8, 2, 1)]).toEqual([2, 12, 10]);
    const o3 = applyExifOrientation(img, 3);
    expect(at(o3, 0, 0)).toBe(12);
    // 6 then 8 is the identity; 3 twice too.
    expect(applyExifOrientation(o6, 8).data).toEqual(img.data);
    expect(applyExifOrientation(o3, 3).data).toEqual(img.data);
  });
});
