/**
 * A seeded mutation fuzzer for byte formats: generic mutations (bit flips, bytes and integer
 * fields set to extremes, truncation, insertion, deletion, duplication) plus format-aware edits a
 * target supplies (header sizes, shapes, chunk lengths). Same seed, same cases, on every machine.
 */
import { seeded } from '../../test-utils/seeded';

/** A small, fast seeded PRNG (mulberry32, from the tests' shared generator). */
export class Rng {
  /** Uniform in [0, 1). */
  readonly next: () => number;
  constructor(seed: number) {
    this.next = seeded(seed >>> 0 || 0x9e3779b9);
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

/** A format-aware edit: returns the mutated bytes (may be a new array). */
export type Edit = (bytes: Uint8Array, rng: Rng) => Uint8Array;

const EXTREMES_32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x10000, 0xffff];
const EXTREMES_16 = [0, 1, 0x7fff, 0x8000, 0xffff, 0xfffe];

/** Writes `value` as an unsigned integer of `size` bytes at `at` (little or big endian). */
export function setUint(
  bytes: Uint8Array,
  at: number,
  size: 1 | 2 | 4,
  value: number,
  little: boolean,
): void {
  for (let i = 0; i < size && at + i < bytes.length; i++) {
    const shift = 8 * (little ? i : size - 1 - i);
    bytes[at + i] = Math.floor(value / 2 ** shift) & 0xff;
  }
}

function insertAt(bytes: Uint8Array, at: number, extra: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + extra.length);
  out.set(bytes.subarray(0, at));
  out.set(extra, at);
  out.set(bytes.subarray(at), at + extra.length);
  return out;
}

/** The generic mutations, by name (the fuzz table counts them). */
export const GENERIC_EDITS: Record<string, Edit> = {
  bitflip: (b, r) => {
    const out = b.slice();
    const flips = 1 + r.int(8);
    for (let i = 0; i < flips && out.length; i++) out[r.int(out.length)] ^= 1 << r.int(8);
    return out;
  },
  byte: (b, r) => {
    const out = b.slice();
    if (out.length) out[r.int(out.length)] = r.pick([0, 0xff, 0x7f, 0x80, r.int(256)]);
    return out;
  },
  int32: (b, r) => {
    const out = b.slice();
    if (out.length >= 4)
      setUint(out, r.int(out.length - 3), 4, r.pick(EXTREMES_32), r.next() < 0.5);
    return out;
  },
  int16: (b, r) => {
    const out = b.slice();
    if (out.length >= 2)
      setUint(out, r.int(out.length - 1), 2, r.pick(EXTREMES_16), r.next() < 0.5);
    return out;
  },
  truncate: (b, r) => b.slice(0, r.int(b.length + 1)),
  insert: (b, r) => {
    const n = 1 + r.int(r.next() < 0.9 ? 16 : 4096);
    const extra = new Uint8Array(n);
    const fill = r.next() < 0.5 ? -1 : r.int(256);
    for (let i = 0; i < n; i++) extra[i] = fill < 0 ? r.int(256) : fill;
    return insertAt(b, r.int(b.length + 1), extra);
  },
  delete: (b, r) => {
    if (!b.length) return b;
    const at = r.int(b.length);
    const n = 1 + r.int(Math.min(64, b.length - at));
    const out = new Uint8Array(b.length - n);
    out.set(b.subarray(0, at));
    out.set(b.subarray(at + n), at);
    return out;
  },
  duplicate: (b, r) => {
    if (!b.length) return b;
    const at = r.int(b.length);
    const n = 1 + r.int(Math.min(256, b.length - at));
    return insertAt(b, r.int(b.length + 1), b.slice(at, at + n));
  },
};

/** One fuzz case: the mutated bytes and the names of the edits applied. */
export interface FuzzCase {
  readonly index: number;
  readonly bytes: Uint8Array;
  readonly seedIndex: number;
  readonly edits: readonly string[];
}

/**
 * Case `index` of a campaign: a seed input, then 1-3 edits, each generic or (half the time, when
 * the target has some) format-aware. Deterministic in (seed, index).
 */
export function makeCase(
  seed: number,
  index: number,
  inputs: readonly Uint8Array[],
  formatEdits: Record<string, Edit> = {},
): FuzzCase {
  const rng = new Rng((seed * 0x9e3779b1 + index * 0x85ebca6b) >>> 0);
  const seedIndex = rng.int(inputs.length);
  let bytes = inputs[seedIndex];
  const generic = Object.keys(GENERIC_EDITS);
  const aware = Object.keys(formatEdits);
  const edits: string[] = [];
  const count = 1 + rng.int(3);
  for (let i = 0; i < count; i++) {
    const useAware = aware.length > 0 && rng.next() < 0.5;
    const name = useAware ? rng.pick(aware) : rng.pick(generic);
    bytes = (useAware ? formatEdits[name] : GENERIC_EDITS[name])(bytes, rng);
    edits.push(useAware ? `${name}*` : name);
  }
  return { index, bytes, seedIndex, edits };
}
