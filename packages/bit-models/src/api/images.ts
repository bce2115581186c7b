/**
 * Turning what people classify — URLs, Blobs/Files, ImageData, images, canvases, bitmaps,
 * video frames, decoded pixels (and, through `@bit/models/node`, file paths and Buffers) — into
 * 8-bit RGB pixels: a small registry of decoders, tried in order (Node's first once
 * `@bit/models/node` is imported). Isomorphic.
 */
import {
  decodeBlob,
  decodeDrawable,
  ImageDecodeError,
  toRgbImage,
  type DecodedImage,
  type DrawableImage,
} from '@bit/data';
import { ImageInputError } from './inputs';

/** One image decoder: says whether it takes an input, and decodes it to 8-bit RGB. */
export interface ImageDecoderPlugin {
  readonly name: string;
  canDecode(input: unknown): boolean;
  decode(input: unknown): Promise<DecodedImage>;
}

const decoders: ImageDecoderPlugin[] = [];

/** Adds a decoder; `first` puts it before the others (the Node decoders use it). */
export function registerImageDecoder(
  plugin: ImageDecoderPlugin,
  options: { first?: boolean } = {},
): void {
  const at = decoders.findIndex((d) => d.name === plugin.name);
  if (at >= 0) decoders.splice(at, 1);
  if (options.first) decoders.unshift(plugin);
  else decoders.push(plugin);
}

/** Names of the registered decoders, in the order they are tried. */
export function listImageDecoders(): string[] {
  return decoders.map((d) => d.name);
}

function isDecodedImage(x: unknown): x is DecodedImage {
  const d = x as DecodedImage;
  return (
    typeof x === 'object' &&
    x !== null &&
    d.data instanceof Uint8Array &&
    Number.isInteger(d.height) &&
    Number.isInteger(d.width) &&
    d.channels === 3
  );
}

function hasGlobal(name: string): boolean {
  return typeof (globalThis as Record<string, unknown>)[name] === 'function';
}

function instanceOf(x: unknown, name: string): boolean {
  const ctor = (globalThis as Record<string, unknown>)[name];
  return typeof ctor === 'function' && x instanceof (ctor as new () => unknown);
}

const DRAWABLES = [
  'HTMLImageElement',
  'HTMLCanvasElement',
  'HTMLVideoElement',
  'ImageBitmap',
  'OffscreenCanvas',
];

/** Decoded pixels as they are. */
registerImageDecoder({
  name: 'decoded',
  canDecode: isDecodedImage,
  decode: async (input) => input as DecodedImage,
});

/** ImageData (RGBA). */
registerImageDecoder({
  name: 'image-data',
  canDecode: (x) => instanceOf(x, 'ImageData'),
  decode: async (input) => {
    const d = input as ImageData;
    return toRgbImage(
      new Uint8Array(d.data.buffer, d.data.byteOffset, d.data.byteLength),
      d.height,
      d.width,
      4,
    );
  },
});

/** Elements and bitmaps a canvas can draw. */
registerImageDecoder({
  name: 'drawable',
  canDecode: (x) => DRAWABLES.some((n) => instanceOf(x, n)),
  decode: async (input) => decodeDrawable(input as DrawableImage),
});

/** WebCodecs VideoFrame (drawn through an ImageBitmap). */
registerImageDecoder({
  name: 'video-frame',
  canDecode: (x) => instanceOf(x, 'VideoFrame'),
  decode: async (input) => {
    const bitmap = await createImageBitmap(input as ImageBitmapSource);
    try {
      return decodeDrawable(bitmap);
    } finally {
      bitmap.close();
    }
  },
});

/** Encoded images in a Blob/File (createImageBitmap; EXIF orientation applied). */
registerImageDecoder({
  name: 'blob',
  canDecode: (x) => typeof Blob !== 'undefined' && x instanceof Blob,
  decode: async (input) => {
    if (!hasGlobal('createImageBitmap')) {
      throw new ImageInputError(
        "decoding an encoded image needs createImageBitmap (a browser); in Node import '@bit/models/node'",
      );
    }
    return decodeBlob(input as Blob);
  },
});

/** Encoded bytes (ArrayBuffer / Uint8Array), decoded as a Blob. */
registerImageDecoder({
  name: 'bytes',
  canDecode: (x) => x instanceof ArrayBuffer || x instanceof Uint8Array,
  decode: async (input) => {
    const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : (input as Uint8Array);
    if (!hasGlobal('createImageBitmap')) {
      throw new ImageInputError(
        "decoding encoded image bytes needs createImageBitmap (a browser); in Node import '@bit/models/node'",
      );
    }
    return decodeBlob(new Blob([bytes as BlobPart]), 'bytes');
  },
});

/** http(s), blob: and data: URLs (and, in a page, relative ones), fetched then decoded as a Blob. */
registerImageDecoder({
  name: 'url',
  canDecode: (x) => x instanceof URL || typeof x === 'string',
  decode: async (input) => {
    const page = (globalThis as { location?: { href?: string } }).location?.href;
    const url = new URL(String(input), page).href;
    let response: Response;
    try {
      response = await fetch(url);
    } catch (err) {
      throw new ImageDecodeError(url, (err as Error).message);
    }
    if (!response.ok) throw new ImageDecodeError(url, `HTTP ${response.status}`);
    const blob = await response.blob();
    for (const d of decoders) {
      if (d.name !== 'url' && d.canDecode(blob)) return d.decode(blob);
    }
    throw new ImageDecodeError(url, 'no decoder for its body');
  },
});

/**
 * Decodes one input with the first registered decoder that takes it.
 * @throws ImageInputError when none does (naming `what` and the kinds accepted).
 */
export async function decodeImageInput(input: unknown, what = 'image'): Promise<DecodedImage> {
  for (const d of decoders) if (d.canDecode(input)) return d.decode(input);
  const kind =
    input === null
      ? 'null'
      : typeof input === 'object'
        ? (input.constructor?.name ?? 'object')
        : typeof input;
  throw new ImageInputError(
    `${what}: cannot classify a ${kind}; pass a tensor, a file path or Buffer (Node), a URL, a Blob/File, ImageData, an image/canvas/video element, an ImageBitmap or a VideoFrame`,
  );
}
