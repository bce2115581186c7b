/** The source plug-in interface: what a dataset source yields and describes. */
import type { ImageRef } from '../image';

/** A file that was left out because it could not be decoded, and why. */
export interface SkippedFile {
  readonly path: string;
  readonly reason: string;
}

/** What a source knows about itself. */
export interface SourceMetadata {
  /** Format name, e.g. 'image-folder', 'idx', 'cifar10', 'csv', 'memory'. */
  readonly format: string;
  /** Class names; label `i` is `classes[i]`. */
  readonly classes: readonly string[];
  readonly numExamples: number;
  /** Examples per class, indexed by label. */
  readonly classCounts: readonly number[];
  /** Image size when every image has the same one (IDX, CIFAR, arrays). */
  readonly height?: number;
  readonly width?: number;
  /** Smallest and largest [height, width] (by area), when validation decoded every image. */
  readonly minSize?: readonly [number, number];
  readonly maxSize?: readonly [number, number];
  /** Channels stored in the files (images are always delivered as RGB). */
  readonly channels?: number;
  /** The split this source holds ('train', 'test', ...), when the format has splits. */
  readonly split?: string;
  /** Broken files found so far (by validation, or while loading). */
  readonly skipped: SkippedFile[];
}

/** One labelled example. */
export interface Example {
  readonly image: ImageRef;
  readonly label: number;
}

/** A random-access dataset: `size` examples, each read with `example(i)`. */
export interface DataSource {
  readonly metadata: SourceMetadata;
  readonly size: number;
  /** The example at `index` (its image may be lazy). */
  example(index: number): Example;
  /** The label at `index`, without touching the image. */
  label(index: number): number;
}

/** Called with a message for each broken file and other recoverable problems. */
export type WarningHandler = (message: string) => void;

/** Options every source understands (plug-ins may read more). */
export interface SourceOpenOptions {
  /** 'train' (default) or 'test' (also 'val', or whatever splits the format has). */
  readonly split?: string;
  /** Keep only these classes (indices, names or a range string like '5-9'), relabelled 0..k-1 in that order. */
  readonly classes?: readonly (number | string)[] | string;
  /** Few-shot: keep this many examples per class, chosen with `seed`. */
  readonly examplesPerClass?: number;
  /** Seed for few-shot selection (default 0). */
  readonly seed?: number;
  /** Decode every image when opening, to find broken files up front (image folders, manifests). */
  readonly validate?: boolean;
  /** Receives warnings (broken files...). Default: console.warn. */
  readonly onWarning?: WarningHandler;
  /**
   * Encoded-image sources (image folders, manifests, browser files): images over this many
   * pixels are refused from their header and skipped like broken files (default
   * DEFAULT_MAX_PIXELS, 50 megapixels).
   */
  readonly maxPixels?: number;
  /** Plug-in specific options. */
  readonly [option: string]: unknown;
}

/** A dataset source plug-in: recognises an input and opens it. */
export interface SourcePlugin<I = any> {
  readonly name: string;
  /** Higher runs first when detecting the format (default 0; catch-alls use negative values). */
  readonly priority?: number;
  /** True when this plug-in can open `input`. */
  sniff(input: I): boolean | Promise<boolean>;
  /** Opens `input` as a source. */
  open(input: I, options: SourceOpenOptions): Promise<DataSource>;
}

/** An explicit source description: a registered format name plus its input. */
export interface SourceSpec {
  readonly format: string;
  readonly path?: string;
  readonly [option: string]: unknown;
}

/** The default warning handler. */
export const defaultWarningHandler: WarningHandler = (message) =>
  console.warn(`[@bit/data] ${message}`);
