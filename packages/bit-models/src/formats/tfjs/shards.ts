/** Splitting weight data into shards, and the converter's shard file names. */
import * as tf from '@tensorflow/tfjs-core';

import { TfjsFormatError } from './errors';

/** Default largest shard: 4 MiB, as the tfjs converter writes. */
export const DEFAULT_SHARD_BYTES = 4 * 1024 * 1024;

/**
 * Checks a shard size option: a positive safe integer.
 * @throws TfjsFormatError `bad-option` naming `where`.
 */
export function checkShardBytes(shardBytes: number, where: string): number {
  if (!Number.isSafeInteger(shardBytes) || shardBytes <= 0) {
    throw new TfjsFormatError(
      'bad-option',
      where,
      `shardBytes must be a positive integer (got ${String(shardBytes)})`,
    );
  }
  return shardBytes;
}

/** Total bytes of weight data (one buffer or a list of them). */
export function weightDataByteLength(weightData: tf.io.WeightData | undefined): number {
  if (weightData === undefined) return 0;
  if (Array.isArray(weightData)) return weightData.reduce((n, b) => n + b.byteLength, 0);
  return weightData.byteLength;
}

/**
 * Splits weight data into consecutive shards of `shardBytes` bytes (the last one shorter),
 * cutting through weights where needed, as the tfjs converter does. Empty data gives no shard.
 */
export function splitWeightData(weightData: tf.io.WeightData, shardBytes: number): ArrayBuffer[] {
  const total = weightDataByteLength(weightData);
  if (!Array.isArray(weightData) && total <= shardBytes) return total === 0 ? [] : [weightData];
  const data = new tf.io.CompositeArrayBuffer(weightData);
  const shards: ArrayBuffer[] = [];
  for (let start = 0; start < total; start += shardBytes) {
    shards.push(data.slice(start, Math.min(total, start + shardBytes)));
  }
  return shards;
}

/** The converter's shard file names: `group1-shard1of3.bin`, `group1-shard2of3.bin`, ... */
export function shardFileNames(count: number, group = 1): string[] {
  return Array.from({ length: count }, (_, i) => `group${group}-shard${i + 1}of${count}.bin`);
}
