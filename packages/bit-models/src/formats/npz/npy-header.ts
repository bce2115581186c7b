/**
 * .npy header parsing (format versions 1.0, 2.0, 3.0) and writing (1.0, as numpy does).
 *
 * Parsing never throws plain errors: it returns a problem description, and the archive
 * reader turns it into a CheckpointFormatError naming the file and member.
 */

/** The dtypes this package reads and writes. */
export type NpyDtype = 'float32' | 'float16' | 'float64';

/** A parsed .npy header. */
export interface NpyHeader {
  /** Format version, e.g. [1, 0]. */
  version: [number, number];
  /** Element type. */
  dtype: NpyDtype;
  /** True for big-endian data (`>f4` ...); converted to native order on read. */
  bigEndian: boolean;
  /** The original `descr` string, e.g. `<f4`. */
  descr: string;
  /** Array shape (C order). */
  shape: number[];
  /** Number of elements (product of the shape; 1 for a 0-d array). */
  size: number;
  /** Bytes per element. */
  itemSize: number;
  /** Total header length in bytes (magic + length field + dictionary); data starts here. */
  headerLength: number;
}

/** Magic string at the start of every .npy file. */
export const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** Largest header dictionary this reader accepts (numpy's own limit is 10000). */
export const MAX_NPY_HEADER_BYTES = 65536;

/** Largest element count this reader accepts (2^31 - 1). */
export const MAX_NPY_ELEMENTS = 2 ** 31 - 1;

/** Problem found while parsing a header. */
export interface NpyHeaderProblem {
  code: 'bad-npy-header' | 'unsupported-dtype' | 'fortran-order' | 'bad-shape';
  detail: string;
}

/** Result of {@link peekNpyHeaderLength}. */
export type NpyHeaderLength =
  | { kind: 'need-more'; bytes: number }
  | { kind: 'ok'; headerLength: number }
  | { kind: 'problem'; problem: NpyHeaderProblem };

const DTYPES: Record<string, { dtype: NpyDtype; itemSize: number }> = {
  f2: { dtype: 'float16', itemSize: 2 },
  f4: { dtype: 'float32', itemSize: 4 },
  f8: { dtype: 'float64', itemSize: 8 },
};

const ITEM_SIZE: Record<NpyDtype, number> = { float16: 2, float32: 4, float64: 8 };

/** Bytes per element of `dtype`. */
export function npyItemSize(dtype: NpyDtype): number {
  return ITEM_SIZE[dtype];
}

/**
 * From the first bytes of a .npy payload, finds the total header length (or how many
 * bytes are needed to know it).
 */
export function peekNpyHeaderLength(prefix: Uint8Array): NpyHeaderLength {
  if (prefix.length < 8) return { kind: 'need-more', bytes: 8 };
  for (let i = 0; i < 6; i++) {
    if (prefix[i] !== NPY_MAGIC[i]) {
      return {
        kind: 'problem',
        problem: { code: 'bad-npy-header', detail: 'not a .npy array (bad magic string)' },
      };
    }
  }
  const major = prefix[6];
  const minor = prefix[7];
  if (major !== 1 && major !== 2 && major !== 3) {
    return {
      kind: 'problem',
      problem: {
        code: 'bad-npy-header',
        detail: `unsupported .npy format version ${major}.${minor}`,
      },
    };
  }
  const fieldBytes = major === 1 ? 2 : 4;
  if (prefix.length < 8 + fieldBytes) return { kind: 'need-more', bytes: 8 + fieldBytes };
  const dictLength =
    major === 1
      ? prefix[8] | (prefix[9] << 8)
      : (prefix[8] | (prefix[9] << 8) | (prefix[10] << 16) | (prefix[11] << 24)) >>> 0;
  if (dictLength > MAX_NPY_HEADER_BYTES) {
    return {
      kind: 'problem',
      problem: {
        code: 'bad-npy-header',
        detail: `.npy header of ${dictLength} bytes exceeds the limit of ${MAX_NPY_HEADER_BYTES}`,
      },
    };
  }
  return { kind: 'ok', headerLength: 8 + fieldBytes + dictLength };
}

type PyValue = string | boolean | number | PyValue[] | { [key: string]: PyValue } | null;

/** Minimal parser for the Python literal dictionary numpy writes. */
class DictParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  fail(what: string): never {
    throw new Error(`${what} at character ${this.pos} of header ${JSON.stringify(this.text)}`);
  }

  private skip(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  parseTop(): { [key: string]: PyValue } {
    const value = this.value();
    this.skip();
    if (this.pos !== this.text.length) this.fail('unexpected text after the dictionary');
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fail('the header is not a dictionary');
    }
    return value;
  }

  private value(): PyValue {
    this.skip();
    const c = this.text[this.pos];
    if (c === '{') return this.dict();
    if (c === '(' || c === '[') return this.sequence(c === '(' ? ')' : ']');
    if (c === "'" || c === '"') return this.string();
    const word = /^(True|False|None)\b/.exec(this.text.slice(this.pos));
    if (word !== null) {
      this.pos += word[0].length;
      return word[0] === 'None' ? null : word[0] === 'True';
    }
    const num = /^-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?L?/.exec(this.text.slice(this.pos));
    if (num !== null) {
      this.pos += num[0].length;
      return Number(num[0].replace('L', ''));
    }
    return this.fail('unexpected token');
  }

  private string(): string {
    const quote = this.text[this.pos++];
    let out = '';
    while (this.pos < this.text.length && this.text[this.pos] !== quote) {
      if (this.text[this.pos] === '\\') this.pos++;
      out += this.text[this.pos++];
    }
    if (this.pos >= this.text.length) this.fail('unterminated string');
    this.pos++;
    return out;
  }

  private dict(): { [key: string]: PyValue } {
    this.pos++; // {
    const out: { [key: string]: PyValue } = {};
    for (;;) {
      this.skip();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return out;
      }
      const key = this.value();
      if (typeof key !== 'string') this.fail('dictionary key is not a string');
      this.skip();
      if (this.text[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      out[key] = this.value();
      this.skip();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== '}') this.fail("expected ',' or '}'");
    }
  }

  private sequence(close: string): PyValue[] {
    this.pos++;
    const items: PyValue[] = [];
    for (;;) {
      this.skip();
      if (this.text[this.pos] === close) {
        this.pos++;
        break;
      }
      items.push(this.value());
      this.skip();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== close) this.fail(`expected ',' or '${close}'`);
    }
    return items;
  }
}

/**
 * Parses a complete .npy header (`bytes.length >= headerLength` from
 * {@link peekNpyHeaderLength}). Accepts descr `<f4`, `<f2`, `<f8` and their big-endian
 * forms (`>f4` ...: byte-swapped on read); C order only.
 */
export function parseNpyHeader(bytes: Uint8Array): NpyHeader | NpyHeaderProblem {
  const peek = peekNpyHeaderLength(bytes);
  if (peek.kind === 'problem') return peek.problem;
  if (peek.kind === 'need-more' || bytes.length < peek.headerLength) {
    return { code: 'bad-npy-header', detail: 'the .npy header is cut off' };
  }
  const major = bytes[6];
  const minor = bytes[7];
  const start = major === 1 ? 10 : 12;
  const dictBytes = bytes.subarray(start, peek.headerLength);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(dictBytes);
  let dict: { [key: string]: PyValue };
  try {
    dict = new DictParser(text.trimEnd()).parseTop();
  } catch (error) {
    return { code: 'bad-npy-header', detail: `malformed .npy header: ${(error as Error).message}` };
  }
  const descr = dict['descr'];
  const fortran = dict['fortran_order'];
  const shape = dict['shape'];
  if (typeof descr !== 'string') {
    return {
      code: 'unsupported-dtype',
      detail: `unsupported dtype ${JSON.stringify(descr)} (structured dtypes are not supported; expected <f4 or <f2)`,
    };
  }
  const m = /^([<>|=])?([a-zA-Z]\d+)$/.exec(descr);
  const known = m === null ? undefined : DTYPES[m[2]];
  if (m === null || known === undefined || m[1] === '|' || m[1] === '=') {
    return {
      code: 'unsupported-dtype',
      detail: `unsupported dtype '${descr}' (expected <f4 or <f2; <f8 and big-endian floats are converted)`,
    };
  }
  if (typeof fortran !== 'boolean') {
    return { code: 'bad-npy-header', detail: "the .npy header has no boolean 'fortran_order'" };
  }
  if (fortran) {
    return {
      code: 'fortran-order',
      detail: 'Fortran-ordered arrays are not supported (save with C order)',
    };
  }
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number')) {
    return {
      code: 'bad-shape',
      detail: `the .npy shape ${JSON.stringify(shape)} is not a tuple of integers`,
    };
  }
  const dims = shape as number[];
  let size = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) {
      return {
        code: 'bad-shape',
        detail: `the .npy shape (${dims.join(', ')}) has a bad dimension ${d}`,
      };
    }
    size *= d;
    if (size > MAX_NPY_ELEMENTS) {
      return {
        code: 'bad-shape',
        detail: `the .npy shape (${dims.join(', ')}) has more than ${MAX_NPY_ELEMENTS} elements`,
      };
    }
  }
  return {
    version: [major, minor],
    dtype: known.dtype,
    bigEndian: m[1] === '>',
    descr,
    shape: dims.slice(),
    size,
    itemSize: known.itemSize,
    headerLength: peek.headerLength,
  };
}

/** True when `value` is a parsed header, false when it is a problem. */
export function isNpyHeader(value: NpyHeader | NpyHeaderProblem): value is NpyHeader {
  return (value as NpyHeader).headerLength !== undefined;
}

const GROWTH_AXIS_MAX_DIGITS = 21;
const ARRAY_ALIGN = 64;

/**
 * Builds the .npy header exactly as numpy's `format.write_array` does: format 1.0
 * (2.0 if the dictionary does not fit in 65535 bytes), keys sorted, spare spaces for the
 * first axis, padded with spaces and a final '\n' so that the data starts on a 64-byte
 * boundary.
 */
export function buildNpyHeader(dtype: NpyDtype, shape: readonly number[]): Uint8Array {
  const descr = dtype === 'float16' ? '<f2' : dtype === 'float32' ? '<f4' : '<f8';
  const shapeRepr =
    shape.length === 0 ? '()' : shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeRepr}, }`;
  if (shape.length > 0) dict += ' '.repeat(GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length);
  const hlen = dict.length + 1; // + '\n'
  let major = 1;
  let fieldBytes = 2;
  let padlen = ARRAY_ALIGN - ((6 + 2 + fieldBytes + hlen) % ARRAY_ALIGN);
  if (hlen + padlen > 0xffff) {
    major = 2;
    fieldBytes = 4;
    padlen = ARRAY_ALIGN - ((6 + 2 + fieldBytes + hlen) % ARRAY_ALIGN);
  }
  const total = 8 + fieldBytes + hlen + padlen;
  const out = new Uint8Array(total);
  out.set(NPY_MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const dictLength = hlen + padlen;
  out[8] = dictLength & 0xff;
  out[9] = (dictLength >>> 8) & 0xff;
  if (fieldBytes === 4) {
    out[10] = (dictLength >>> 16) & 0xff;
    out[11] = (dictLength >>> 24) & 0xff;
  }
  let at = 8 + fieldBytes;
  for (let i = 0; i < dict.length; i++) out[at++] = dict.charCodeAt(i);
  out.fill(0x20, at, total - 1);
  out[total - 1] = 0x0a;
  return out;
}
