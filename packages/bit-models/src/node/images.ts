/**
 * Node image decoders for `classify`: file paths and `file:` URLs, Buffers / Uint8Arrays /
 * ArrayBuffers, Blobs, and http(s) URLs — all decoded by @bit/data's Node decoders (sharp when
 * installed, else the pure-JS PNG/JPEG decoders). Registered ahead of the browser decoders when
 * `@bit/models/node` is imported.
 */
import { fileURLToPath } from 'node:url';
import { ImageDecodeError } from '@bit/data';
import { decodeImageBytes, decodeImageFile } from '@bit/data/node';
import { registerImageDecoder } from '../api/images';

const HTTP = /^https?:\/\//i;

/** Registers the Node decoders (idempotent). */
export function registerNodeImageDecoders(): void {
  registerImageDecoder(
    {
      name: 'node-http',
      canDecode: (x) => (typeof x === 'string' || x instanceof URL) && HTTP.test(String(x)),
      decode: async (input) => {
        const url = String(input);
        let response: Response;
        try {
          response = await fetch(url);
        } catch (err) {
          throw new ImageDecodeError(url, (err as Error).message);
        }
        if (!response.ok) throw new ImageDecodeError(url, `HTTP ${response.status}`);
        return decodeImageBytes(new Uint8Array(await response.arrayBuffer()), { name: url });
      },
    },
    { first: true },
  );
  registerImageDecoder(
    {
      name: 'node-blob',
      canDecode: (x) => typeof Blob !== 'undefined' && x instanceof Blob,
      decode: async (input) => {
        const blob = input as Blob;
        const name = (blob as { name?: string }).name || 'blob';
        return decodeImageBytes(new Uint8Array(await blob.arrayBuffer()), { name });
      },
    },
    { first: true },
  );
  registerImageDecoder(
    {
      name: 'node-bytes',
      canDecode: (x) => x instanceof Uint8Array || x instanceof ArrayBuffer,
      decode: async (input) =>
        decodeImageBytes(
          input instanceof ArrayBuffer ? new Uint8Array(input) : (input as Uint8Array),
          {
            name: 'buffer',
          },
        ),
    },
    { first: true },
  );
  registerImageDecoder(
    {
      name: 'node-file',
      canDecode: (x) =>
        (typeof x === 'string' && !HTTP.test(x)) || (x instanceof URL && x.protocol === 'file:'),
      decode: async (input) => {
        const text = String(input);
        return decodeImageFile(text.startsWith('file:') ? fileURLToPath(text) : text);
      },
    },
    { first: true },
  );
}
