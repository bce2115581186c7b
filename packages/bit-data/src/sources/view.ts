/** Sources built on other sources or on plain arrays: views, subsets, in-memory examples. */
import { DataArgumentError } from '../errors';
import type { DataSource, Example, SkippedFile, SourceMetadata } from './types';

/** Counts examples per class. */
export function countClasses(labels: ArrayLike<number>, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l >= 0 && l < numClasses) counts[l]++;
  }
  return counts;
}

/** Fields of SourceMetadata that a caller provides; counts are computed. */
export interface MetadataInit {
  readonly format: string;
  readonly classes: readonly string[];
  readonly height?: number;
  readonly width?: number;
  readonly channels?: number;
  readonly split?: string;
  readonly skipped?: SkippedFile[];
}

/** Builds metadata from labels (numExamples and classCounts are derived). */
export function makeMetadata(init: MetadataInit, labels: ArrayLike<number>): SourceMetadata {
  return {
    ...init,
    skipped: init.skipped ?? [],
    numExamples: labels.length,
    classCounts: countClasses(labels, init.classes.length),
  };
}

/** A source from a label array and an example factory. */
export class ArraySource implements DataSource {
  readonly metadata: SourceMetadata;
  constructor(
    init: MetadataInit,
    private readonly labels: Int32Array,
    private readonly make: (index: number) => Example,
  ) {
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= init.classes.length) {
        throw new DataArgumentError(
          `${init.format} source: label ${labels[i]} of example ${i} is outside [0, ${init.classes.length})`,
        );
      }
    }
    this.metadata = makeMetadata(init, labels);
  }
  get size(): number {
    return this.labels.length;
  }
  label(index: number): number {
    this.check(index);
    return this.labels[index];
  }
  example(index: number): Example {
    this.check(index);
    return this.make(index);
  }
  private check(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.labels.length) {
      throw new DataArgumentError(
        `${this.metadata.format} source: index ${index} outside [0, ${this.labels.length})`,
      );
    }
  }
}

/**
 * A view of `source` holding the examples at `indices` (in that order, repeats allowed),
 * with labels mapped through `relabel` (old label -> new label) and the given classes.
 */
export function subsetSource(
  source: DataSource,
  indices: ArrayLike<number>,
  options: { relabel?: ArrayLike<number>; classes?: readonly string[]; format?: string } = {},
): DataSource {
  const idx = Int32Array.from(indices as ArrayLike<number>);
  const relabel = options.relabel;
  const labels = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const j = idx[i];
    if (!Number.isInteger(j) || j < 0 || j >= source.size) {
      throw new DataArgumentError(`subsetSource: index ${j} is outside [0, ${source.size})`);
    }
    const l = source.label(j);
    labels[i] = relabel ? relabel[l] : l;
  }
  const meta = source.metadata;
  return new ArraySource(
    {
      format: options.format ?? meta.format,
      classes: options.classes ?? meta.classes,
      height: meta.height,
      width: meta.width,
      channels: meta.channels,
      split: meta.split,
      skipped: meta.skipped,
    },
    labels,
    (i) => ({ image: source.example(idx[i]).image, label: labels[i] }),
  );
}
