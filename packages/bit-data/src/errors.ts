/**
 * Typed errors of @bit/data. Each message names the file, field or argument at fault
 * and what is wrong with it.
 */

/**
 * Base class of every error @bit/data throws on purpose. `inputError` is true when the caller's
 * input (a file, a manifest, an argument) is at fault, so an application can report it as such.
 */
export class BitDataError extends Error {
  override readonly name: string = 'BitDataError';
  /** True when the caller's input is at fault rather than the environment. */
  readonly inputError: boolean = true;
}

/** A caller passed an argument that cannot work (bad option value, bad shape, unknown class). */
export class DataArgumentError extends BitDataError {
  override readonly name: string = 'DataArgumentError';
}

/** A dataset file or manifest is malformed (bad IDX magic, short CIFAR record, bad CSV row...). */
export class DataFormatError extends BitDataError {
  override readonly name: string = 'DataFormatError';
  /** The file (or input) that is malformed, when known. */
  readonly path: string | undefined;
  constructor(message: string, path?: string) {
    super(message);
    this.path = path;
  }
}

/** No registered source recognised an input, or a source could not open it. */
export class SourceNotFoundError extends BitDataError {
  override readonly name: string = 'SourceNotFoundError';
}

/** An image could not be decoded (truncated, empty, not an image). Pipelines skip such images. */
export class ImageDecodeError extends BitDataError {
  override readonly name: string = 'ImageDecodeError';
  /** The file or URL that failed to decode. */
  readonly path: string;
  constructor(path: string, reason: string) {
    super(`cannot decode image ${path}: ${reason}`);
    this.path = path;
  }
}

/**
 * An image declares more pixels than the limit (`maxPixels`, CLI `--max-pixels`), found from its
 * header before any pixel buffer is allocated. An ImageDecodeError, so pipelines skip it and list
 * it like any broken file.
 */
export class ImageTooLargeError extends ImageDecodeError {
  override readonly name: string = 'ImageTooLargeError';
  constructor(
    path: string,
    /** Declared width in pixels. */
    readonly width: number,
    /** Declared height in pixels. */
    readonly height: number,
    /** The limit it is over. */
    readonly maxPixels: number,
  ) {
    super(
      path,
      `it declares ${width}x${height} pixels (${((width * height) / 1e6).toFixed(1)} megapixels), ` +
        `over the limit of ${maxPixels} pixels (raise it with maxPixels / --max-pixels)`,
    );
  }
}
