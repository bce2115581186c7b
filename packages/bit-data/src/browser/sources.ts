/** Browser sources: File/Blob lists (e.g. a folder picked with webkitdirectory), image elements, URLs. */
import type { DecodedImage, LazyImage } from '../image';
import type { DataSource, SourcePlugin } from '../sources/types';
import { ArraySource } from '../sources/view';
import { DataArgumentError } from '../errors';
import { decodeBlob, decodeDrawable, decodeUrl, type DrawableImage } from './decode';

const IMAGE_NAME = /\.(jpe?g|png|webp|gif|bmp|avif)$/i;

function lazy(path: string, load: () => Promise<DecodedImage>): LazyImage {
  return { kind: 'lazy', path, load };
}

function classIndex(
  names: string[],
  classes?: readonly string[],
): { labels: Int32Array; classes: string[] } {
  const list = classes ? [...classes] : [...new Set(names)].sort();
  const map = new Map(list.map((c, i) => [c, i]));
  const labels = Int32Array.from(names, (n) => {
    const k = map.get(n);
    if (k === undefined) throw new DataArgumentError(`unknown class "${n}"`);
    return k;
  });
  return { labels, classes: list };
}

/**
 * Files picked as a folder (`<input type=file webkitdirectory>`): the class of each image is
 * its parent folder in `webkitRelativePath` (classes sorted by name). Non-image names are ignored.
 */
export function fromFiles(
  files: FileList | readonly File[],
  options: { classes?: readonly string[]; maxPixels?: number } = {},
): DataSource {
  const list = Array.from(files as ArrayLike<File>).filter((f) => IMAGE_NAME.test(f.name));
  const paths = list.map((f) => f.webkitRelativePath || f.name);
  const names = paths.map((p) => {
    const parts = p.split('/');
    if (parts.length < 2)
      throw new DataArgumentError(
        `fromFiles: ${p} has no class folder (pick a folder of class folders)`,
      );
    return parts[parts.length - 2];
  });
  const order = paths
    .map((_, i) => i)
    .sort((a, b) => (paths[a] < paths[b] ? -1 : paths[a] > paths[b] ? 1 : 0));
  const { labels, classes } = classIndex(
    order.map((i) => names[i]),
    options.classes,
  );
  return new ArraySource({ format: 'files', classes }, labels, (i) => {
    const f = list[order[i]];
    return {
      image: lazy(paths[order[i]], () =>
        decodeBlob(f, paths[order[i]], { maxPixels: options.maxPixels }),
      ),
      label: labels[i],
    };
  });
}

/** Labelled Blobs/Files: `{ blob, label }` with a numeric label or a class name. */
export function fromBlobs(
  items: readonly {
    readonly blob: Blob;
    readonly label: number | string;
    readonly name?: string;
  }[],
  options: { classes?: readonly string[]; maxPixels?: number } = {},
): DataSource {
  return labelled(
    'blobs',
    items.map((it, i) => ({
      label: it.label,
      image: lazy(it.name ?? (it.blob as File).name ?? `blob ${i}`, () =>
        decodeBlob(it.blob, it.name, { maxPixels: options.maxPixels }),
      ),
    })),
    options.classes,
  );
}

/** Labelled image URLs (fetched and decoded when needed). */
export function fromUrls(
  items: readonly { readonly url: string; readonly label: number | string }[],
  options: { classes?: readonly string[]; maxPixels?: number } = {},
): DataSource {
  return labelled(
    'urls',
    items.map((it) => ({
      label: it.label,
      image: lazy(it.url, () => decodeUrl(it.url, { maxPixels: options.maxPixels })),
    })),
    options.classes,
  );
}

/** Labelled image elements / bitmaps / canvases (already loaded). */
export function fromImageElements(
  items: readonly { readonly element: DrawableImage; readonly label: number | string }[],
  options: { classes?: readonly string[]; maxPixels?: number } = {},
): DataSource {
  return labelled(
    'image-elements',
    items.map((it, i) => ({
      label: it.label,
      image: lazy(('src' in it.element && it.element.src) || `image ${i}`, async () =>
        decodeDrawable(it.element, { maxPixels: options.maxPixels }),
      ),
    })),
    options.classes,
  );
}

function labelled(
  format: string,
  items: { label: number | string; image: LazyImage }[],
  classes?: readonly string[],
): DataSource {
  const numeric = items.every((it) => typeof it.label === 'number');
  let labels: Int32Array;
  let names: string[];
  if (numeric) {
    labels = Int32Array.from(items, (it) => it.label as number);
    const max = labels.reduce((m, v) => Math.max(m, v), -1);
    names = classes ? [...classes] : Array.from({ length: max + 1 }, (_, i) => String(i));
  } else {
    ({ labels, classes: names } = classIndex(
      items.map((it) => String(it.label)),
      classes,
    ));
  }
  return new ArraySource({ format, classes: names }, labels, (i) => ({
    image: items[i].image,
    label: labels[i],
  }));
}

const hasFile = (): boolean => typeof File !== 'undefined';

/** Plug-in: a FileList or an array of File. */
export const filesSourcePlugin: SourcePlugin<FileList | File[]> = {
  name: 'files',
  priority: 10,
  sniff: (input) =>
    hasFile() &&
    ((typeof FileList !== 'undefined' && input instanceof FileList) ||
      (Array.isArray(input) && input.length > 0 && input.every((f) => f instanceof File))),
  open: async (input, options) =>
    fromFiles(input, {
      classes: options.classNames as string[] | undefined,
      maxPixels: options.maxPixels,
    }),
};

/** Plug-in: an array of `{ url, label }`. */
export const urlsSourcePlugin: SourcePlugin<{ url: string; label: number | string }[]> = {
  name: 'urls',
  priority: 10,
  sniff: (input) =>
    Array.isArray(input) &&
    input.length > 0 &&
    input.every((x) => typeof x === 'object' && x !== null && typeof x.url === 'string'),
  open: async (input, options) =>
    fromUrls(input, {
      classes: options.classNames as string[] | undefined,
      maxPixels: options.maxPixels,
    }),
};

/** Plug-in: an array of `{ blob, label }`. */
export const blobsSourcePlugin: SourcePlugin<{ blob: Blob; label: number | string }[]> = {
  name: 'blobs',
  priority: 10,
  sniff: (input) =>
    typeof Blob !== 'undefined' &&
    Array.isArray(input) &&
    input.length > 0 &&
    input.every((x) => typeof x === 'object' && x !== null && x.blob instanceof Blob),
  open: async (input, options) =>
    fromBlobs(input, {
      classes: options.classNames as string[] | undefined,
      maxPixels: options.maxPixels,
    }),
};

/** Plug-in: an array of `{ element, label }`. */
export const imageElementsSourcePlugin: SourcePlugin<
  { element: DrawableImage; label: number | string }[]
> = {
  name: 'image-elements',
  priority: 10,
  sniff: (input) =>
    Array.isArray(input) &&
    input.length > 0 &&
    input.every((x) => typeof x === 'object' && x !== null && 'element' in x),
  open: async (input, options) =>
    fromImageElements(input, {
      classes: options.classNames as string[] | undefined,
      maxPixels: options.maxPixels,
    }),
};
