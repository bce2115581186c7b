/** Full-decode validation of lazily loaded images (finds truncated, empty and non-image files). */
import { isLazyImage } from '../../image';
import type { DataSource, SkippedFile, WarningHandler } from '../../sources/types';
import { subsetSource } from '../../sources/view';

/** Result of validating a source. */
export interface ValidationResult {
  /** The source without the broken examples. */
  readonly source: DataSource;
  readonly skipped: SkippedFile[];
  /** Size of the valid images when they all have the same one. */
  readonly height?: number;
  readonly width?: number;
  /** Smallest and largest [height, width] seen. */
  readonly minSize?: [number, number];
  readonly maxSize?: [number, number];
}

/**
 * Decodes every image of `source` (`concurrency` at a time) and drops the broken ones,
 * warning once per broken file. Decoding fully is the only reliable test: headers of a
 * truncated PNG or JPEG look fine.
 */
export async function validateSource(
  source: DataSource,
  options: { concurrency?: number; onWarning?: WarningHandler } = {},
): Promise<ValidationResult> {
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const ok = new Uint8Array(source.size);
  const sizes = new Int32Array(source.size * 2);
  const skipped: SkippedFile[] = [];
  let next = 0;
  const work = async (): Promise<void> => {
    while (next < source.size) {
      const i = next++;
      const image = source.example(i).image;
      try {
        const img = isLazyImage(image) ? await image.load() : image;
        sizes[2 * i] = img.height;
        sizes[2 * i + 1] = img.width;
        ok[i] = 1;
      } catch (e) {
        const path = isLazyImage(image) ? image.path : `example ${i}`;
        const reason = (e as Error)?.message ?? String(e);
        skipped.push({ path, reason });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, source.size) }, work));
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const s of skipped) options.onWarning?.(`skipping broken image ${s.path}: ${s.reason}`);
  const keep: number[] = [];
  let minSize: [number, number] | undefined;
  let maxSize: [number, number] | undefined;
  for (let i = 0; i < source.size; i++) {
    if (!ok[i]) continue;
    keep.push(i);
    const hw: [number, number] = [sizes[2 * i], sizes[2 * i + 1]];
    if (!minSize || hw[0] * hw[1] < minSize[0] * minSize[1]) minSize = hw;
    if (!maxSize || hw[0] * hw[1] > maxSize[0] * maxSize[1]) maxSize = hw;
  }
  const uniform =
    keep.length > 0 &&
    keep.every((i) => sizes[2 * i] === minSize![0] && sizes[2 * i + 1] === minSize![1]);
  const sub = subsetSource(source, keep);
  const meta = { ...sub.metadata, skipped: [...source.metadata.skipped, ...skipped] };
  if (uniform) Object.assign(meta, { height: minSize![0], width: minSize![1] });
  if (minSize) Object.assign(meta, { minSize, maxSize });
  const validated: DataSource = {
    metadata: meta,
    size: sub.size,
    example: (i) => sub.example(i),
    label: (i) => sub.label(i),
  };
  return {
    source: validated,
    skipped,
    ...(uniform ? { height: minSize![0], width: minSize![1] } : {}),
    ...(minSize ? { minSize, maxSize } : {}),
  };
}
