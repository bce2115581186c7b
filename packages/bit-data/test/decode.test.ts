import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { readJpegOrientation } from '../src/formats/exif';
import { decodeImageBytes, decodeImageFile, inspectSource, openSource } from '../src/node';
import { applyExifOrientation, isLazyImage } from '../src/image';
import { encodePng, randomImage, smoothImage, tempDir, writeFile } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

describe('JS fallback vs sharp', () => {
  it.each([
    ['RGB', 3],
    ['gray', 1],
    ['RGBA', 4],
  ] as const)('PNG %s decodes identically', async (_name, channels) => {
    const base = randomImage(9, 13, channels);
    const data = new Uint8Array(9 * 13 * channels);
    for (let i = 0; i < data.length; i++) data[i] = base.data[i % base.data.length];
    const png = encodePng(data, 9, 13, channels);
    const js = await decodeImageBytes(png, { decoder: 'js' });
    const sh = await decodeImageBytes(png, { decoder: 'sharp' });
    expect([js.height, js.width, js.channels]).toEqual([9, 13, 3]);
    expect(js.data).toEqual(sh.data);
    // And both equal the source pixels (alpha dropped, gray replicated).
    for (let p = 0; p < 9 * 13; p++) {
      const want =
        channels === 1
          ? [data[p], data[p], data[p]]
          : [data[p * channels], data[p * channels + 1], data[p * channels + 2]];
      expect([js.data[p * 3], js.data[p * 3 + 1], js.data[p * 3 + 2]]).toEqual(want);
    }
  });

  it('JPEG decodes closely: 4:4:4 within JPEG rounding, 4:2:0 within chroma-upsampling differences', async () => {
    const im = smoothImage(40, 56);
    const raw = { raw: { width: 56, height: 40, channels: 3 as const } };
    const full = await sharp(im.data, raw)
      .jpeg({ quality: 90, chromaSubsampling: '4:4:4' })
      .toBuffer();
    const js = await decodeImageBytes(full, { decoder: 'js' });
    const sh = await decodeImageBytes(full, { decoder: 'sharp' });
    expect([js.height, js.width]).toEqual([40, 56]);
    expect(meanAbsDiff(js.data, sh.data)).toBeLessThan(1);
    expect(js.data.every((v, i) => Math.abs(v - sh.data[i]) <= 4)).toBe(true);
    // jpeg-js replicates subsampled chroma where libjpeg-turbo interpolates it.
    const sub = await sharp(im.data, raw)
      .jpeg({ quality: 90, chromaSubsampling: '4:2:0' })
      .toBuffer();
    const js2 = await decodeImageBytes(sub, { decoder: 'js' });
    const sh2 = await decodeImageBytes(sub, { decoder: 'sharp' });
    expect(meanAbsDiff(js2.data, sh2.data)).toBeLessThan(5);
    expect(meanAbsDiff(js2.data, im.data)).toBeLessThan(5);
  });

  it.each([3, 6, 8])('EXIF orientation %i is applied by both decoders', async (orientation) => {
    const im = smoothImage(20, 32, 1);
    const jpg = await sharp(im.data, { raw: { width: 32, height: 20, channels: 3 } })
      .jpeg({ quality: 95, chromaSubsampling: '4:4:4' })
      .withMetadata({ orientation })
      .toBuffer();
    expect(readJpegOrientation(jpg)).toBe(orientation);
    const js = await decodeImageBytes(jpg, { decoder: 'js' });
    const sh = await decodeImageBytes(jpg, { decoder: 'sharp' });
    const swapped = orientation >= 5;
    expect([js.height, js.width]).toEqual(swapped ? [32, 20] : [20, 32]);
    expect([sh.height, sh.width]).toEqual([js.height, js.width]);
    expect(meanAbsDiff(js.data, sh.data)).toBeLessThan(1);
    // Both equal the source rotated as the tag says (up to JPEG loss).
    const upright = applyExifOrientation(im, orientation);
    expect(meanAbsDiff(sh.data, upright.data)).toBeLessThan(2);
    expect(meanAbsDiff(js.data, upright.data)).toBeLessThan(2);
  });

  it('broken input is an ImageDecodeError naming the file', async () => {
    const png = encodePng(randomImage(8, 8, 1).data, 8, 8);
    for (const decoder of ['js', 'sharp'] as const) {
      await expect(
        decodeImageBytes(png.subarray(0, 40), { decoder, name: 'cut.png' }),
      ).rejects.toThrow(/cannot decode image cut.png/);
      await expect(decodeImageBytes(new Uint8Array(0), { decoder, name: 'e.jpg' })).rejects.toThrow(
        /e.jpg: empty file/,
      );
      await expect(
        decodeImageBytes(new TextEncoder().encode('hello'), { decoder, name: 't.png' }),
      ).rejects.toThrow(/t.png/);
    }
    const jpg = await sharp(smoothImage(16, 16).data, {
      raw: { width: 16, height: 16, channels: 3 },
    })
      .jpeg()
      .toBuffer();
    for (const decoder of ['js', 'sharp'] as const) {
      await expect(
        decodeImageBytes(jpg.subarray(0, Math.floor(jpg.length * 0.7)), {
          decoder,
          name: 'cut.jpg',
        }),
      ).rejects.toThrow(/cut.jpg/);
    }
    await expect(decodeImageFile(join(tmp.dir, 'missing.png'))).rejects.toThrow(/missing.png/);
  });
});

describe('image folder with broken files (inspect acceptance case)', () => {
  const root = join(tmp.dir, 'folder');
  const classes = ['cat', 'dog', 'emu'];

  it('21 good images, 3 classes; the truncated, empty and fake files are skipped', async () => {
    classes.forEach((c, k) => {
      for (let i = 0; i < 7; i++) {
        const im = randomImage(6 + k, 8, k * 10 + i);
        writeFile(join(root, c, `img${i}.png`), encodePng(im.data, im.height, im.width));
      }
    });
    const good = encodePng(randomImage(30, 30, 99).data, 30, 30);
    writeFile(join(root, 'cat', 'truncated.png'), good.subarray(0, Math.floor(good.length / 2)));
    writeFile(join(root, 'dog', 'empty.jpg'), new Uint8Array(0));
    writeFile(join(root, 'emu', 'text.png'), 'this is not a picture\n');
    writeFile(join(root, 'emu', 'notes.txt'), 'ignored: not an image name');

    for (const decoder of ['sharp', 'js'] as const) {
      const info = await inspectSource(root, { decoder });
      expect(info).toMatchObject({
        format: 'image-folder',
        numExamples: 21,
        numClasses: 3,
        classes,
        classCounts: [7, 7, 7],
        channels: 3,
      });
      expect(info.height).toBeUndefined(); // mixed sizes
      expect(info.skipped.map((s) => s.path).sort()).toEqual(
        [
          join(root, 'cat', 'truncated.png'),
          join(root, 'dog', 'empty.jpg'),
          join(root, 'emu', 'text.png'),
        ].sort(),
      );
      for (const s of info.skipped) expect(s.reason.length).toBeGreaterThan(3);
    }
  });

  it('opening with validate warns once per broken file; without it the files are listed lazily', async () => {
    const warnings: string[] = [];
    const s = await openSource(root, { validate: true, onWarning: (m) => warnings.push(m) });
    expect(s.size).toBe(21);
    expect(warnings).toHaveLength(3);
    expect(warnings.join('\n')).toMatch(/truncated\.png/);
    const lazy = await openSource(root);
    expect(lazy.size).toBe(24);
    const first = lazy.example(0).image;
    expect(isLazyImage(first) && first.file).toBe(join(root, 'cat', 'img0.png'));
  });

  it('split folders: train/ and test/ inside the root', async () => {
    const split = join(tmp.dir, 'splits');
    for (const sp of ['train', 'test'])
      for (const c of ['a', 'b'])
        writeFile(join(split, sp, c, `${sp}.png`), encodePng(randomImage(4, 4, 1).data, 4, 4));
    const test = await openSource(split, { split: 'test' });
    expect(test.metadata).toMatchObject({ classes: ['a', 'b'], numExamples: 2, split: 'test' });
    await expect(openSource(split, { split: 'val' })).rejects.toThrow(/no "val" split folder/);
  });
});
