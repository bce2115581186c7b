/**
 * Image bombs: the pixel limit is read from the header and enforced before any pixel buffer is
 * allocated, by both Node decoders (issue 13's acceptance: a 25000x25000 PNG under 2 MB is
 * refused in under 5 s and 1 GB), and a dataset skips such a file like any broken one.
 */
import { join } from 'node:path';
import { constants, crc32, deflateRawSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageDecodeError, ImageTooLargeError } from '../src/errors';
import { checkImageHeader, DEFAULT_MAX_PIXELS, readImageHeader } from '../src/formats/image-header';
import { createPipeline } from '../src/index';
import { decodeBlob, decodeDrawable } from '../src/browser/decode';
import { decodeImageBytes, decodeImageFile, openSource } from '../src/node';
import { encodePng, randomImage, tempDir, writeFile } from './helpers';

const tmp = tempDir('bit-pixels-');
afterAll(() => tmp.cleanup());

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * A valid gray PNG of `side` x `side` zero pixels, built without holding its raw rows: raw
 * deflate pieces of 64 zero rows each, ended by sync flushes (a valid stream when joined), framed
 * as zlib. The pieces are identical, so one is compressed and repeated.
 */
function hugeBlackPng(side: number): Uint8Array {
  const rowsPerPiece = 64;
  const row = side + 1; // filter byte + one byte per pixel
  const zeros = Buffer.alloc(rowsPerPiece * row);
  const full = deflateRawSync(zeros, { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
  const pieces: Buffer[] = [Buffer.from([0x78, 0xda])];
  const fullPieces = Math.floor(side / rowsPerPiece);
  for (let i = 0; i < fullPieces; i++) pieces.push(full);
  const lastRows = side - fullPieces * rowsPerPiece;
  pieces.push(deflateRawSync(zeros.subarray(0, lastRows * row), { level: 9 }));
  // Adler-32 of zeros: a stays 1, b grows by 1 per byte.
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE((((side * row) % 65521) << 16) | 1);
  pieces.push(tail);
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, side);
  v.setUint32(4, side);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // gray
  const sig = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    sig,
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.concat(pieces)),
    chunk('IEND', new Uint8Array()),
  ]);
}

describe('the pixel limit', () => {
  const side = 25000;
  let bomb: Uint8Array<ArrayBuffer>;

  it('a 25000x25000 PNG of under 2 MB is a valid PNG the header reader sizes', () => {
    bomb = new Uint8Array(hugeBlackPng(side));
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    expect(readImageHeader(bomb)).toMatchObject({ format: 'png', width: side, height: side });
  });

  it.each(['js', 'sharp'] as const)(
    'decoder %s refuses it in under 5 s and 1 GB, naming the file and its size',
    async (decoder) => {
      const rssBefore = process.memoryUsage().rss;
      const started = performance.now();
      const error = await decodeImageBytes(bomb, { decoder, name: 'bomb.png' }).catch((e) => e);
      const seconds = (performance.now() - started) / 1000;
      expect(error).toBeInstanceOf(ImageTooLargeError);
      expect(error).toBeInstanceOf(ImageDecodeError);
      expect(error.message).toMatch(/bomb\.png/);
      expect(error.message).toMatch(/25000x25000/);
      expect(seconds).toBeLessThan(5);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(1024 ** 3);
    },
  );

  it('sharp decodes the same file when the limit is lifted (so the refusal is the limit)', async () => {
    const meta = await sharp(bomb, { limitInputPixels: false }).metadata();
    expect([meta.width, meta.height]).toEqual([side, side]);
  });

  it.each(['js', 'sharp'] as const)('decoder %s honours maxPixels both ways', async (decoder) => {
    const png = encodePng(randomImage(40, 50, 1).data, 40, 50, 3);
    await expect(
      decodeImageBytes(png, { decoder, maxPixels: 1999, name: 'x.png' }),
    ).rejects.toThrow(ImageTooLargeError);
    const ok = await decodeImageBytes(png, { decoder, maxPixels: 2000 });
    expect([ok.height, ok.width]).toEqual([40, 50]);
    const jpg = new Uint8Array(
      await sharp(Buffer.from(randomImage(40, 50, 2).data), {
        raw: { width: 50, height: 40, channels: 3 },
      })
        .jpeg()
        .toBuffer(),
    );
    await expect(
      decodeImageBytes(jpg, { decoder, maxPixels: 1999, name: 'x.jpg' }),
    ).rejects.toThrow(/x\.jpg.*50x40/);
    expect((await decodeImageBytes(jpg, { decoder, maxPixels: 2000 })).width).toBe(50);
  });

  it('sharp applies the same limit to formats the header reader does not know (TIFF)', async () => {
    const tiff = new Uint8Array(
      await sharp(Buffer.from(randomImage(40, 50, 3).data), {
        raw: { width: 50, height: 40, channels: 3 },
      })
        .tiff()
        .toBuffer(),
    );
    expect(readImageHeader(tiff)).toBeUndefined();
    await expect(
      decodeImageBytes(tiff, { decoder: 'sharp', maxPixels: 1999, name: 'x.tiff' }),
    ).rejects.toThrow(/x\.tiff.*pixel limit/);
    expect((await decodeImageBytes(tiff, { decoder: 'sharp', maxPixels: 2000 })).width).toBe(50);
  });

  it('refuses bad maxPixels values', async () => {
    const png = encodePng(randomImage(4, 4, 1).data, 4, 4, 3);
    await expect(decodeImageBytes(png, { maxPixels: 0 })).rejects.toThrow(RangeError);
    await expect(decodeImageBytes(png, { maxPixels: 1.5 })).rejects.toThrow(RangeError);
  });

  it('a PNG that claims more rows than its data can hold is refused before decoding', () => {
    const png = encodePng(randomImage(8, 8, 1).data, 8, 8, 3);
    const forged = Uint8Array.from(png);
    const view = new DataView(forged.buffer);
    view.setUint32(16, 6000); // width
    view.setUint32(20, 6000); // height
    expect(() => checkImageHeader(forged, 'forged.png')).toThrow(
      /forged\.png.*6000x6000.*bytes of image data/,
    );
  });

  it('a JPEG whose frame header claims a large size is refused before decoding', async () => {
    const jpg = new Uint8Array(
      await sharp(Buffer.from(randomImage(16, 16, 4).data), {
        raw: { width: 16, height: 16, channels: 3 },
      })
        .jpeg()
        .toBuffer(),
    );
    const forged = jpg.slice();
    let p = 2;
    while (!(forged[p] === 0xff && forged[p + 1] === 0xc0))
      p += 2 + ((forged[p + 2] << 8) | forged[p + 3]);
    forged[p + 5] = 0x1b; // height 7000
    forged[p + 6] = 0x58;
    forged[p + 7] = 0x1b; // width 7000
    forged[p + 8] = 0x58;
    for (const decoder of ['js', 'sharp'] as const) {
      const started = performance.now();
      await expect(decodeImageBytes(forged, { decoder, name: 'forged.jpg' })).rejects.toThrow(
        /forged\.jpg.*7000x7000/,
      );
      expect(performance.now() - started).toBeLessThan(5000);
    }
  });

  it('the browser path refuses from the Blob header, before createImageBitmap exists or runs', async () => {
    // Node has Blob but no createImageBitmap: reaching it would be a TypeError, not this.
    await expect(decodeBlob(new Blob([bomb]), 'bomb.png')).rejects.toThrow(ImageTooLargeError);
    // A JPEG whose frame header lies past the first 256 KiB (a big APP segment before it).
    const jpg = new Uint8Array(
      await sharp(Buffer.from(randomImage(16, 16, 5).data), {
        raw: { width: 16, height: 16, channels: 3 },
      })
        .jpeg()
        .toBuffer(),
    );
    const app = new Uint8Array(4 + 65533);
    app.set([0xff, 0xe9, 0xff, 0xff]);
    const padded = new Uint8Array(2 + 5 * app.length + jpg.length - 2);
    padded.set(jpg.subarray(0, 2));
    for (let i = 0; i < 5; i++) padded.set(app, 2 + i * app.length);
    padded.set(jpg.subarray(2), 2 + 5 * app.length);
    await expect(
      decodeBlob(new Blob([padded]), 'big-exif.jpg', { maxPixels: 255 }),
    ).rejects.toThrow(/big-exif\.jpg.*16x16/);
    // Already-decoded drawables: refused before a canvas is made.
    expect(() =>
      decodeDrawable({ width: 30000, height: 30000 } as never, { name: 'canvas' }),
    ).toThrow(/canvas.*30000x30000/);
  });

  it('the default limit fits BiT resolutions with room to spare', () => {
    expect(DEFAULT_MAX_PIXELS).toBeGreaterThanOrEqual(4096 * 4096);
  });

  it('a dataset skips an image over the limit and reports it like a broken file', async () => {
    const root = join(tmp.dir, 'folder');
    for (const [cls, seed] of [
      ['a', 1],
      ['b', 2],
    ] as const) {
      for (let i = 0; i < 3; i++)
        writeFile(
          join(root, cls, `${i}.png`),
          encodePng(randomImage(12, 12, seed + i).data, 12, 12, 3),
        );
    }
    writeFile(join(root, 'a', 'big.png'), encodePng(randomImage(30, 30, 9).data, 30, 30, 3));
    await expect(decodeImageFile(join(root, 'a', 'big.png'), { maxPixels: 400 })).rejects.toThrow(
      /big\.png.*30x30/,
    );
    const warnings: string[] = [];
    const source = await openSource(root, { maxPixels: 400 });
    const pipeline = createPipeline(source, {
      batchSize: 7,
      resolution: { precrop: 12, crop: 8 },
      mode: 'eval',
      onWarning: (w) => warnings.push(String(w)),
    });
    let seen = 0;
    for await (const b of pipeline) seen += b.size;
    expect(seen).toBe(6);
    expect(pipeline.skipped.map((s) => s.path)).toEqual([join(root, 'a', 'big.png')]);
    expect(pipeline.skipped[0].reason).toMatch(/30x30.*limit of 400/);
  });
});
