/**
 * Typed errors of @bit/models' checkpoint I/O layer.
 *
 * Every error names the file (the byte source's `name`) and, where it concerns one, the
 * archive member, so a user can tell which checkpoint and which tensor is damaged.
 */

/**
 * Base class of every error @bit/models throws on purpose. `inputError` tells an application
 * whether the caller's input is at fault (a damaged or missing checkpoint, an unknown model, a bad
 * argument: true) or the run failed for another reason (a network answer, a disk: false).
 */
export class BitModelsError extends Error {
  override name = 'BitModelsError';
  /** True when the caller's input (file, name, argument) is at fault rather than the environment. */
  readonly inputError: boolean;

  constructor(message: string, options?: { cause?: unknown; inputError?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.inputError = options?.inputError ?? true;
  }
}

/** Why a checkpoint archive (.npz) or one of its .npy members was refused. */
export type CheckpointFormatErrorCode =
  /** No zip end-of-central-directory record: random bytes, or not a zip at all. */
  | 'not-zip'
  /** The file looks like a zip but ends early (end record missing, member data cut off). */
  | 'truncated'
  /** An offset or size in the zip structures points outside the file. */
  | 'out-of-bounds'
  /** More members than the central directory can hold, or more than `maxEntries`. */
  | 'too-many-entries'
  /** A malformed central directory (bad signature, bad zip64 extra, count mismatch). */
  | 'bad-central-directory'
  /** A zip feature this reader does not implement (multi-disk archives). */
  | 'unsupported-zip'
  /** A malformed local file header. */
  | 'bad-local-header'
  /** A local header disagrees with its central-directory entry (name, method). */
  | 'local-header-mismatch'
  /** Two members' data ranges overlap (a zip-bomb technique). */
  | 'overlapping-members'
  /** Two members with the same name. */
  | 'duplicate-member'
  /** An encrypted member. */
  | 'encrypted'
  /** A compression method other than stored (0) or deflated (8). */
  | 'unsupported-compression'
  /** Declared sizes that cannot be true (stored sizes differ, impossible deflate ratio). */
  | 'bad-sizes'
  /** A malformed .npy header (magic, version, length, dictionary). */
  | 'bad-npy-header'
  /** A dtype other than float32/float16/float64 (either byte order). */
  | 'unsupported-dtype'
  /** A Fortran-ordered array (`fortran_order: True`). */
  | 'fortran-order'
  /** A shape with negative, non-integer or too many elements. */
  | 'bad-shape'
  /** The .npy shape disagrees with the member's declared byte count. */
  | 'shape-mismatch'
  /** A member inflates past its declared uncompressed size. */
  | 'inflate-overflow'
  /** A member ends before its declared uncompressed size. */
  | 'inflate-underflow'
  /** The deflate stream of a member is corrupt. */
  | 'bad-deflate'
  /** The CRC-32 of a member's bytes differs from the one recorded in the archive. */
  | 'crc-mismatch'
  /** `read(name)` asked for a member the archive does not have. */
  | 'member-not-found'
  /** A path that is neither an .npz checkpoint nor a TF.js model. */
  | 'not-a-checkpoint'
  /** A model source that is no file, zoo name or URL. */
  | 'not-found';

/** Builds the message prefix that names the file and (when given) the member. */
function where(file: string, member: string | undefined): string {
  return member === undefined ? `checkpoint "${file}"` : `checkpoint "${file}", member "${member}"`;
}

/**
 * A checkpoint archive (.npz) or .npy member is damaged, hostile or unsupported.
 * `file` is the byte source's name, `member` the member's file name inside the zip
 * (e.g. `resnet/head/conv2d/bias.npy`) when the problem concerns one member.
 */
export class CheckpointFormatError extends BitModelsError {
  override readonly name = 'CheckpointFormatError';
  /** Name of the file (byte source) the error concerns. */
  readonly file: string;
  /** Member (file name inside the archive) the error concerns, if any. */
  readonly member?: string;
  /** Machine-readable reason. */
  readonly code: CheckpointFormatErrorCode;

  constructor(
    code: CheckpointFormatErrorCode,
    file: string,
    member: string | undefined,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${where(file, member)}: ${detail} [${code}]`, options);
    this.code = code;
    this.file = file;
    if (member !== undefined) this.member = member;
  }
}

/** Why a byte source could not deliver the bytes asked for. */
export type ByteSourceErrorCode =
  /** A read outside [0, size), or with a negative / non-integer offset or length. */
  | 'out-of-range'
  /** An HTTP request failed (network error or unexpected status). */
  | 'http-status'
  /** The HTTP server ignores Range requests and the body is too large to hold in memory. */
  | 'range-unsupported'
  /** Fewer bytes came back than were asked for. */
  | 'short-read'
  /** The total size could not be determined. */
  | 'unknown-size'
  /** The source was already closed. */
  | 'closed';

/** A byte source (file, blob, HTTP URL, memory) failed to deliver bytes. */
export class ByteSourceError extends BitModelsError {
  override readonly name = 'ByteSourceError';
  /** Name of the source (path, URL, file name). */
  readonly source: string;
  /** Machine-readable reason. */
  readonly code: ByteSourceErrorCode;

  constructor(
    code: ByteSourceErrorCode,
    source: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    // A failed HTTP request is the network's fault; a short or out-of-range read is the file's.
    super(`source "${source}": ${detail} [${code}]`, {
      cause: options?.cause,
      inputError: code !== 'http-status' && code !== 'range-unsupported',
    });
    this.code = code;
    this.source = source;
  }
}

/** Why `writeNpz` refused an array. */
export type NpzWriteErrorCode =
  /** An empty name, or one with a NUL character. */
  | 'bad-name'
  /** Two arrays with the same name. */
  | 'duplicate-name'
  /** A shape with negative / non-integer dimensions or too many elements. */
  | 'bad-shape'
  /** The shape's element count differs from `data.length`. */
  | 'shape-mismatch'
  /** A dtype the writer does not produce, or a data array it cannot convert. */
  | 'unsupported-dtype';

/** `writeNpz` was given an array it cannot write. */
export class NpzWriteError extends BitModelsError {
  override readonly name = 'NpzWriteError';
  /** The array's name (without `.npy`). */
  readonly member: string;
  /** Machine-readable reason. */
  readonly code: NpzWriteErrorCode;

  constructor(code: NpzWriteErrorCode, member: string, detail: string) {
    super(`npz array "${member}": ${detail} [${code}]`);
    this.code = code;
    this.member = member;
  }
}
