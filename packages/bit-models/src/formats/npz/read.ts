/**
 * Reading .npz archives (numpy's savez / savez_compressed) from any ByteSource, member by
 * member, never holding the whole file in memory.
 */
import type { ByteSource } from '../../io/byte-source';
import { CheckpointFormatError } from '../../errors';
import { readCentralDirectory, type CentralEntry } from './central-directory';
import { ElementDecoder } from './element-decoder';
import { streamMember, type MemberLocation } from './member-stream';
import { isNpyHeader, parseNpyHeader, peekNpyHeaderLength, type NpyHeader } from './npy-header';
import type { NpyArray, NpyRawArray, NpzEntry, OpenNpzOptions } from './types';
import {
  LOCAL_HEADER_SIZE,
  MAX_DEFLATE_RATIO,
  METHOD_DEFLATED,
  METHOD_STORED,
  SIG_LOCAL,
} from './zip-format';

const DEFAULT_CHUNK = 4 * 1024 * 1024;
/** Bytes read past a local header to catch the .npy header in the same request. */
const PREFIX_SLACK = 1024;
const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

interface Member {
  entry: NpzEntry;
  location: MemberLocation;
  header: NpyHeader;
}

/** An opened .npz archive: its arrays' metadata, and reads of single arrays. */
export interface NpzArchive extends AsyncIterable<NpyArray> {
  /** The source's name (for messages). */
  readonly name: string;
  /** The byte source the archive reads from. */
  readonly source: ByteSource;
  /** The arrays (`.npy` members), in archive order. */
  readonly entries: readonly NpzEntry[];
  /** Names of members that are not `.npy` arrays (ignored). */
  readonly otherMembers: readonly string[];
  /** True if the archive has an array called `name` (with or without `.npy`). */
  has(name: string): boolean;
  /** The entry of array `name` (with or without `.npy`), if any. */
  entry(name: string): NpzEntry | undefined;
  /**
   * Reads array `name` as float32 (float16 exact, float64 rounded), checking its CRC-32.
   * @throws CheckpointFormatError ('member-not-found', 'crc-mismatch', 'inflate-overflow', ...)
   */
  read(name: string): Promise<NpyArray>;
  /** Reads array `name` in its stored type (float16 as Uint16Array bit patterns). */
  readRaw(name: string): Promise<NpyRawArray>;
  /** Iterates over all arrays in archive order, reading one at a time. */
  arrays(): AsyncIterableIterator<NpyArray>;
  /** Closes the byte source. */
  close(): Promise<void>;
}

function stripNpy(fileName: string): string {
  return fileName.endsWith('.npy') ? fileName.slice(0, -4) : fileName;
}

/**
 * Opens an .npz archive: reads the zip end records and central directory, then each
 * member's local header and .npy header, validating everything before any array memory is
 * allocated. Array data is read later, one member at a time, by `read`.
 *
 * Accepted: stored or deflated members, zip64, .npy format 1.0-3.0, dtypes `<f4`, `<f2`,
 * `<f8` and their big-endian forms (converted on read), C order.
 * @throws CheckpointFormatError for damaged, hostile or unsupported files.
 */
export async function openNpz(
  source: ByteSource,
  options: OpenNpzOptions = {},
): Promise<NpzArchive> {
  const chunkSize = Math.max(4096, Math.floor(options.chunkSize ?? DEFAULT_CHUNK));
  const verifyCrc = options.verifyCrc ?? true;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
  const cd = await readCentralDirectory(source, {
    maxEntries: options.maxEntries ?? 100_000,
    maxCentralDirectoryBytes: options.maxCentralDirectoryBytes ?? 64 * 1024 * 1024,
  });
  const file = source.name;

  // Members sorted by position: each must end before the next begins (or the CD).
  const byOffset = [...cd.entries].sort((a, b) => a.localOffset - b.localOffset);
  const limitOf = new Map<CentralEntry, MemberLimit>();
  for (let i = 0; i < byOffset.length; i++) {
    const following = byOffset[i + 1];
    limitOf.set(
      byOffset[i],
      following === undefined
        ? { offset: cd.offset, next: 'central directory' }
        : { offset: following.localOffset, next: 'member' },
    );
  }

  const seen = new Set<string>();
  const arrays: CentralEntry[] = [];
  const otherMembers: string[] = [];
  for (const entry of cd.entries) {
    if (seen.has(entry.fileName)) {
      throw new CheckpointFormatError(
        'duplicate-member',
        file,
        entry.fileName,
        'appears twice in the archive',
      );
    }
    seen.add(entry.fileName);
    if (entry.fileName.endsWith('.npy')) arrays.push(entry);
    else otherMembers.push(entry.fileName);
  }

  const members: Member[] = new Array(arrays.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < arrays.length) {
      const i = next++;
      members[i] = await openMember(
        source,
        arrays[i],
        limitOf.get(arrays[i]) as MemberLimit,
        chunkSize,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, arrays.length) }, worker));
  return new Archive(source, members, otherMembers, chunkSize, verifyCrc);
}

/** Collects the first bytes of a .npy payload until its header is complete. */
class HeaderCollector {
  bytes = new Uint8Array(128);
  have = 0;
  /** Bytes needed: 12 (magic, version, length field) until the header length is known. */
  need = 12;
  complete = false;
  problem: string | undefined;

  /** Consumes bytes; returns false once the header is complete (or broken). */
  push(chunk: Uint8Array): boolean {
    let rest = chunk;
    while (rest.length > 0) {
      const take = Math.min(rest.length, this.need - this.have);
      if (this.have + take > this.bytes.length) {
        const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.have + take));
        grown.set(this.bytes.subarray(0, this.have));
        this.bytes = grown;
      }
      this.bytes.set(rest.subarray(0, take), this.have);
      this.have += take;
      rest = rest.subarray(take);
      if (this.have < this.need) return true;
      const peek = peekNpyHeaderLength(this.bytes.subarray(0, this.have));
      if (peek.kind === 'problem') {
        this.problem = peek.problem.detail;
        return false;
      }
      if (peek.kind === 'ok' && peek.headerLength <= this.have) {
        this.complete = true;
        return false;
      }
      this.need = peek.kind === 'ok' ? peek.headerLength : peek.bytes;
    }
    return true;
  }
}

/** Where the bytes available to a member end, and what lies there. */
interface MemberLimit {
  offset: number;
  next: 'member' | 'central directory';
}

/** Validates a member's central entry, local header and .npy header. */
async function openMember(
  source: ByteSource,
  entry: CentralEntry,
  limit: MemberLimit,
  chunkSize: number,
): Promise<Member> {
  const file = source.name;
  const name = entry.fileName;
  const fail = (code: CheckpointFormatError['code'], detail: string): never => {
    throw new CheckpointFormatError(code, file, name, detail);
  };
  const overrun = limit.next === 'member' ? 'overlapping-members' : 'out-of-bounds';
  if (entry.flags & 0x41 || entry.method === 99) fail('encrypted', 'is encrypted');
  if (entry.method !== METHOD_STORED && entry.method !== METHOD_DEFLATED) {
    fail(
      'unsupported-compression',
      `uses compression method ${entry.method} (only stored (0) and deflated (8) are supported)`,
    );
  }
  if (entry.method === METHOD_STORED && entry.compressedSize !== entry.uncompressedSize) {
    fail(
      'bad-sizes',
      `is stored but declares ${entry.compressedSize} bytes in the zip and ${entry.uncompressedSize} uncompressed`,
    );
  }
  if (
    entry.method === METHOD_DEFLATED &&
    entry.uncompressedSize > entry.compressedSize * MAX_DEFLATE_RATIO + 1024
  ) {
    fail(
      'bad-sizes',
      `declares ${entry.uncompressedSize} uncompressed bytes from ${entry.compressedSize} deflated bytes, ` +
        'more than deflate can produce',
    );
  }

  // Local header (+ some bytes of data, which usually hold the whole .npy header).
  const available = limit.offset - entry.localOffset;
  if (available < LOCAL_HEADER_SIZE) {
    fail(
      overrun,
      `its local header at ${entry.localOffset} runs into the ${limit.next} at ${limit.offset}`,
    );
  }
  let prefix = await source.read(
    entry.localOffset,
    Math.min(available, LOCAL_HEADER_SIZE + name.length * 4 + 64 + PREFIX_SLACK),
  );
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  if (view.getUint32(0, true) !== SIG_LOCAL) {
    fail('bad-local-header', `no local file header at offset ${entry.localOffset}`);
  }
  const localFlags = view.getUint16(6, true);
  const localMethod = view.getUint16(8, true);
  const nameLength = view.getUint16(26, true);
  const extraLength = view.getUint16(28, true);
  const headerEnd = LOCAL_HEADER_SIZE + nameLength + extraLength;
  if (headerEnd > available) {
    fail(overrun, `its local header runs into the ${limit.next} at ${limit.offset}`);
  }
  if (headerEnd > prefix.length) {
    prefix = await source.read(entry.localOffset, Math.min(available, headerEnd + PREFIX_SLACK));
  }
  const localName = (localFlags & 0x800 ? utf8 : latin1).decode(
    prefix.subarray(LOCAL_HEADER_SIZE, LOCAL_HEADER_SIZE + nameLength),
  );
  if (localName !== name) {
    fail('local-header-mismatch', `its local header names it "${localName}"`);
  }
  if (localMethod !== entry.method) {
    fail(
      'local-header-mismatch',
      `its local header says compression method ${localMethod}, the central directory ${entry.method}`,
    );
  }
  if (localFlags & 0x41) fail('encrypted', 'is encrypted');
  const dataOffset = entry.localOffset + headerEnd;
  if (dataOffset + entry.compressedSize > limit.offset) {
    fail(
      overrun,
      `its ${entry.compressedSize} bytes of data at offset ${dataOffset} run into the ${limit.next} at ${limit.offset}`,
    );
  }
  const location: MemberLocation = {
    fileName: name,
    method: entry.method,
    dataOffset,
    compressedSize: entry.compressedSize,
    uncompressedSize: entry.uncompressedSize,
    crc32: entry.crc32,
  };

  // .npy header: the first bytes of the payload.
  const collector = new HeaderCollector();
  await streamMember(source, location, (bytes) => collector.push(bytes), {
    chunkSize,
    firstReadSize: 16 * 1024,
    initial: prefix.subarray(headerEnd, Math.min(prefix.length, headerEnd + entry.compressedSize)),
    verifyCrc: false,
  });
  if (collector.problem !== undefined) fail('bad-npy-header', collector.problem);
  if (!collector.complete) {
    fail(
      'bad-npy-header',
      `the member (${entry.uncompressedSize} bytes) ends inside its .npy header`,
    );
  }
  const parsed = parseNpyHeader(collector.bytes.subarray(0, collector.have));
  if (!isNpyHeader(parsed)) return fail(parsed.code, parsed.detail);
  const header = parsed;
  const dataBytes = header.size * header.itemSize;
  if (header.headerLength + dataBytes !== entry.uncompressedSize) {
    fail(
      'shape-mismatch',
      `its .npy header says ${header.descr} shape (${header.shape.join(', ')}) = ${dataBytes} bytes of data, ` +
        `but the member holds ${entry.uncompressedSize - header.headerLength}`,
    );
  }
  return {
    header,
    location,
    entry: {
      name: stripNpy(name),
      fileName: name,
      dtype: header.dtype,
      descr: header.descr,
      shape: header.shape,
      size: header.size,
      byteSize: dataBytes,
      compressed: entry.method === METHOD_DEFLATED,
      compressedSize: entry.compressedSize,
      uncompressedSize: entry.uncompressedSize,
      crc32: entry.crc32,
    },
  };
}

class Archive implements NpzArchive {
  readonly name: string;
  readonly entries: readonly NpzEntry[];
  private readonly byName = new Map<string, Member>();

  constructor(
    readonly source: ByteSource,
    private readonly members: Member[],
    readonly otherMembers: readonly string[],
    private readonly chunkSize: number,
    private readonly verifyCrc: boolean,
  ) {
    this.name = source.name;
    this.entries = members.map((m) => m.entry);
    for (const m of members) this.byName.set(m.entry.name, m);
  }

  private member(name: string): Member | undefined {
    return this.byName.get(name) ?? this.byName.get(stripNpy(name));
  }

  has(name: string): boolean {
    return this.member(name) !== undefined;
  }

  entry(name: string): NpzEntry | undefined {
    return this.member(name)?.entry;
  }

  async read(name: string): Promise<NpyArray> {
    const member = this.require(name);
    const data = await this.decode(member, false);
    return {
      name: member.entry.name,
      dtype: member.entry.dtype,
      shape: member.entry.shape.slice(),
      data: data as Float32Array,
    };
  }

  async readRaw(name: string): Promise<NpyRawArray> {
    const member = this.require(name);
    const data = await this.decode(member, true);
    return {
      name: member.entry.name,
      dtype: member.entry.dtype,
      shape: member.entry.shape.slice(),
      data,
    };
  }

  async *arrays(): AsyncIterableIterator<NpyArray> {
    for (const entry of this.entries) yield await this.read(entry.name);
  }

  [Symbol.asyncIterator](): AsyncIterator<NpyArray> {
    return this.arrays();
  }

  async close(): Promise<void> {
    await this.source.close?.();
  }

  private require(name: string): Member {
    const member = this.member(name);
    if (member === undefined) {
      const known = this.entries.length;
      throw new CheckpointFormatError(
        'member-not-found',
        this.name,
        name.endsWith('.npy') ? name : `${name}.npy`,
        `no such array in the archive (it has ${known} arrays)`,
      );
    }
    return member;
  }

  private async decode(
    member: Member,
    raw: boolean,
  ): Promise<Float32Array | Uint16Array | Float64Array> {
    const { header } = member;
    // Sizes were validated at open: allocation matches the member's declared size.
    const decoder = new ElementDecoder(header.dtype, header.bigEndian, header.size, raw);
    let position = 0;
    const skip = header.headerLength;
    await streamMember(
      this.source,
      member.location,
      (bytes) => {
        if (position < skip) {
          const n = Math.min(skip - position, bytes.length);
          position += n;
          if (n === bytes.length) return true;
          bytes = bytes.subarray(n);
        }
        position += bytes.length;
        decoder.push(bytes);
        return true;
      },
      { chunkSize: this.chunkSize, verifyCrc: this.verifyCrc },
    );
    return decoder.out;
  }
}
