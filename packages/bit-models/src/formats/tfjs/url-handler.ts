/**
 * A tf.io load handler for a TF.js model.json URL (http(s), blob: or any URL fetch can read)
 * with byte-level progress and, optionally, Cache Storage, so a page downloads a model once.
 * Isomorphic.
 */
import * as tf from '@tensorflow/tfjs-core';

import { downloadToCacheStorage, type CacheStorageLike } from '../../download/index';
import type { DownloadProgressCallback } from '../../download/index';
import { TfjsFormatError } from './errors';
import { checkShardPath, parseModelJson, weightsByteLength } from './manifest';

/** Options of {@link tfjsUrlHandler}. */
export interface TfjsUrlHandlerOptions {
  /** fetch to use (default globalThis.fetch). */
  fetch?: typeof fetch;
  /**
   * Keep model.json and its shards in Cache Storage (`true`: the `bit-models` cache, or a
   * cache name) and read them from there next time.
   */
  cache?: boolean | string;
  /** The Cache Storage (default `globalThis.caches`). */
  caches?: CacheStorageLike;
  /** Progress over all weight bytes (model.json excluded). */
  onProgress?: DownloadProgressCallback;
}

async function fetchBytes(
  url: string,
  options: TfjsUrlHandlerOptions,
  onChunk: (bytes: number) => void,
): Promise<ArrayBuffer> {
  if (options.cache) {
    const blob = await downloadToCacheStorage(url, {
      cacheName: typeof options.cache === 'string' ? options.cache : undefined,
      caches: options.caches,
      fetch: options.fetch,
    });
    onChunk(blob.size);
    return blob.arrayBuffer();
  }
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  let response: Response;
  try {
    response = await fetchImpl(url);
  } catch (err) {
    throw new TfjsFormatError('read-failed', url, (err as Error).message, { cause: err });
  }
  if (!response.ok) {
    throw new TfjsFormatError(
      response.status === 404 ? 'model-json-not-found' : 'read-failed',
      url,
      `server answered HTTP ${response.status}`,
    );
  }
  if (!response.body) {
    const buffer = await response.arrayBuffer();
    onChunk(buffer.byteLength);
    return buffer;
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.byteLength;
    onChunk(value.byteLength);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out.buffer;
}

/**
 * The load handler of the TF.js model whose model.json is at `url`. Shard paths are resolved
 * relative to it (and must stay below it). Progress events count weight bytes.
 * @throws TfjsFormatError (`model-json-not-found`, `read-failed`, `invalid-json`,
 *   `bad-model-json`, `shard-size-mismatch`) when loading.
 */
export function tfjsUrlHandler(url: string, options: TfjsUrlHandlerOptions = {}): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const jsonBytes = await fetchBytes(url, options, () => undefined);
      const modelJson = parseModelJson(new TextDecoder().decode(jsonBytes), url);
      const total = weightsByteLength(modelJson.weightsManifest.flatMap((g) => g.weights)) ?? null;
      let received = 0;
      let last = -Infinity;
      const report = (force: boolean) => {
        if (!options.onProgress) return;
        const now = Date.now();
        if (!force && now - last < 100) return;
        last = now;
        options.onProgress({
          name: url.split(/[?#]/, 1)[0]?.split('/').pop() ?? url,
          url,
          receivedBytes: received,
          totalBytes: total,
          resumedFrom: 0,
        });
      };
      report(true);
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const path of group.paths) {
            const shardUrl = new URL(checkShardPath(path, url), url).href;
            buffers.push(
              await fetchBytes(shardUrl, options, (n) => {
                received += n;
                report(false);
              }),
            );
          }
        }
        const bytes = buffers.reduce((n, b) => n + b.byteLength, 0);
        if (total !== null && bytes !== total) {
          throw new TfjsFormatError(
            'shard-size-mismatch',
            url,
            `the shards hold ${bytes} bytes but the weights need ${total}`,
          );
        }
        report(true);
        return [specs, buffers];
      });
    },
  };
}
