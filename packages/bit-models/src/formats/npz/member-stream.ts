/**
 * Streaming the .npy payload of one zip member: bounded reads from the source, streaming
 * inflate (fflate) in small slices so that a member that inflates past its declared size
 * is stopped at once, and a running CRC-32.
 */
import { Inflate } from 'fflate';
import type { ByteSource } from '../../io/byte-source';
import { CheckpointFormatError } from '../../errors';
import { crc32 } from './crc32';
import { METHOD_STORED } from './zip-format';

/** Where a member's data lies and what it should inflate to. */
export interface MemberLocation {
  fileName: string;
  method: number;
  dataOffset: number;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
}

/**
 * Compressed bytes pushed into the inflater at once. Deflate expands at most ~1032:1, so a
 * slice of `remaining / 1032` bytes cannot produce much more than the member may still
 * legitimately hold: a member that inflates past its declared size is stopped after at
 * most max(~34 MB, its declared size) of transient output.
 */
function inflateSlice(remainingOutput: number): number {
  return Math.min(1024 * 1024, Math.max(32 * 1024, Math.floor(remainingOutput / 1032)));
}

/** Options of {@link streamMember}. */
export interface StreamMemberOptions {
  /** Largest read from the source. */
  chunkSize: number;
  /** Size of the first read (smaller when only the header is wanted). */
  firstReadSize?: number;
  /** Compressed bytes already read from the start of the member's data. */
  initial?: Uint8Array;
  /** Compute and check the CRC-32 (only when the whole member is consumed). */
  verifyCrc: boolean;
}

/**
 * Feeds the member's uncompressed bytes, in order, to `consume`; stops early when it
 * returns false. When the member is consumed to its end, checks the declared size and CRC.
 * @returns true if the whole member was consumed, false if `consume` stopped early.
 */
export async function streamMember(
  source: ByteSource,
  member: MemberLocation,
  consume: (bytes: Uint8Array) => boolean,
  options: StreamMemberOptions,
): Promise<boolean> {
  const file = source.name;
  const name = member.fileName;
  const total = member.uncompressedSize;
  let produced = 0;
  let crc = 0;
  let stopped = false;
  const deliver = (bytes: Uint8Array): void => {
    if (stopped || bytes.length === 0) return;
    if (produced + bytes.length > total) {
      throw new CheckpointFormatError(
        'inflate-overflow',
        file,
        name,
        `inflates past its declared size of ${total} bytes`,
      );
    }
    produced += bytes.length;
    if (options.verifyCrc) crc = crc32(bytes, crc);
    if (!consume(bytes)) stopped = true;
  };

  const stored = member.method === METHOD_STORED;
  const inflater = stored ? undefined : new Inflate((data) => deliver(data));
  let readAt = 0;
  let pending = options.initial;
  let firstRead = options.firstReadSize ?? options.chunkSize;
  while (!stopped && readAt < member.compressedSize) {
    let chunk: Uint8Array;
    if (pending !== undefined && pending.length > 0) {
      chunk = pending.subarray(0, Math.min(pending.length, member.compressedSize));
      pending = undefined;
    } else {
      const length = Math.min(firstRead, options.chunkSize, member.compressedSize - readAt);
      firstRead = options.chunkSize;
      chunk = await source.read(member.dataOffset + readAt, length);
    }
    readAt += chunk.length;
    const last = readAt >= member.compressedSize;
    if (inflater === undefined) {
      deliver(chunk);
      continue;
    }
    for (let s = 0, end = 0; s < chunk.length && !stopped; s = end) {
      end = Math.min(chunk.length, s + inflateSlice(total - produced));
      try {
        inflater.push(chunk.subarray(s, end), last && end === chunk.length);
      } catch (error) {
        if (error instanceof CheckpointFormatError) throw error;
        throw new CheckpointFormatError(
          'bad-deflate',
          file,
          name,
          `corrupt deflate data (${(error as Error).message})`,
          { cause: error },
        );
      }
    }
  }
  if (stopped) return false;
  if (inflater !== undefined && member.compressedSize === 0) {
    throw new CheckpointFormatError('bad-deflate', file, name, 'empty deflate stream');
  }
  if (produced !== total) {
    throw new CheckpointFormatError(
      'inflate-underflow',
      file,
      name,
      `holds ${produced} bytes, its declared size is ${total}`,
    );
  }
  if (options.verifyCrc && crc !== member.crc32) {
    throw new CheckpointFormatError(
      'crc-mismatch',
      file,
      name,
      `CRC-32 ${hex(crc)} differs from the recorded ${hex(member.crc32)} (damaged file)`,
    );
  }
  return true;
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
