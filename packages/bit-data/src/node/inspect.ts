/** `inspectSource`: what the CLI's `inspect` prints about a dataset. */
import type { SkippedFile, SourceOpenOptions } from '../sources/types';
import type { DecoderPreference } from './decode';
import { nodeSourceRegistry } from './registry';

/** A summary of a dataset split. */
export interface SourceInspection {
  readonly format: string;
  readonly split?: string;
  readonly numExamples: number;
  readonly numClasses: number;
  readonly classes: readonly string[];
  /** Image size when all images share it (undefined for folders of mixed sizes). */
  readonly height?: number;
  readonly width?: number;
  /** Smallest and largest [height, width] by area (image folders and manifests, which are decoded). */
  readonly minSize?: readonly [number, number];
  readonly maxSize?: readonly [number, number];
  readonly channels?: number;
  readonly classCounts: readonly number[];
  /** Broken files (truncated, empty, not an image), each with the reason. */
  readonly skipped: readonly SkippedFile[];
}

/**
 * Opens `pathOrSpec` and describes it. Image folders and manifests are validated by fully
 * decoding every image, so `skipped` lists every broken file (headers alone do not reveal
 * truncation). Warnings go to `onWarning` (default: none, the result lists them).
 */
export async function inspectSource(
  pathOrSpec: unknown,
  options: {
    split?: string;
    decoder?: DecoderPreference;
    onWarning?: (message: string) => void;
  } & SourceOpenOptions = {},
): Promise<SourceInspection> {
  const source = await nodeSourceRegistry.open(pathOrSpec, {
    ...options,
    validate: true,
    onWarning: options.onWarning ?? (() => undefined),
  });
  const m = source.metadata;
  return {
    format: m.format,
    ...(m.split ? { split: m.split } : {}),
    numExamples: source.size,
    numClasses: m.classes.length,
    classes: m.classes,
    height: m.height,
    width: m.width,
    ...(m.minSize ? { minSize: m.minSize, maxSize: m.maxSize } : {}),
    channels: m.channels ?? 3,
    classCounts: m.classCounts,
    skipped: m.skipped,
  };
}
