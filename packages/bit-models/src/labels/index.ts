import { BitModelsError } from '../errors';
/** Built-in label sets: ImageNet-1k and ImageNet-21k class names in BiT order. */
export type BuiltinLabelSet = 'imagenet1k' | 'imagenet21k';

/** Thrown for an unknown label set or a label file that does not fit the model. */
export class LabelsError extends BitModelsError {
  override name = 'LabelsError';
}

const loaders = new Map<string, () => Promise<string[]>>();
const cache = new Map<string, Promise<string[]>>();

/** Splits a label file: one class per line (a trailing newline is not a class). */
export function parseLabels(text: string): string[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Registers a label set under `name` (users can add their own). */
export function registerLabels(name: string, load: () => Promise<string[]>): void {
  loaders.set(name, load);
  cache.delete(name);
}

// The lists ship once, as JSON files of the package (`@bit/models/labels/*.json`), shared by the
// ESM and CJS builds and loaded on first use; bundlers emit each as a chunk of its own.
registerLabels('imagenet1k', async () => {
  const m = await import('@bit/models/labels/imagenet1k.json', { with: { type: 'json' } });
  return [...(m.default as string[])];
});
registerLabels('imagenet21k', async () => {
  const m = await import('@bit/models/labels/imagenet21k.json', { with: { type: 'json' } });
  return [...(m.default as string[])];
});

/** Names of the registered label sets. */
export function labelSets(): string[] {
  return [...loaders.keys()];
}

/**
 * The class names of a registered label set, loaded on first use (the 21k list is ~0.5 MB, a
 * JSON file of its own). ImageNet-1k: first lemma per class; ImageNet-21k: BiT's lemma lines.
 */
export function getLabels(name: string): Promise<string[]> {
  const load = loaders.get(name);
  if (!load) {
    return Promise.reject(
      new LabelsError(`unknown label set '${name}'; known: ${labelSets().join(', ')}`),
    );
  }
  let labels = cache.get(name);
  if (!labels) {
    labels = load();
    cache.set(name, labels);
  }
  return labels;
}
