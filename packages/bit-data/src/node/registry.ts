/** The Node source registry: the isomorphic plug-ins plus disk formats. */
import { createSourceRegistry } from '../sources/default-registry';
import type { SourceRegistry } from '../sources/registry';
import type { DataSource, SourceOpenOptions } from '../sources/types';
import { cifarSourcePlugin } from './sources/cifar';
import { idxSourcePlugin } from './sources/idx';
import { imageFolderSourcePlugin } from './sources/image-folder';
import { manifestSourcePlugin } from './sources/manifest';

/** A new registry with every plug-in: arrays, tensors, examples, idx, cifar, manifest, image-folder. */
export function createNodeSourceRegistry(): SourceRegistry {
  return createSourceRegistry()
    .register(imageFolderSourcePlugin)
    .register(manifestSourcePlugin)
    .register(cifarSourcePlugin)
    .register(idxSourcePlugin);
}

/** The shared Node registry; register your own plug-ins here. */
export const nodeSourceRegistry: SourceRegistry = createNodeSourceRegistry();

/**
 * Opens a path (format detected), a `{ format, path, ...options }` spec, or an in-memory
 * input, with the Node registry. Options: split, classes, examplesPerClass + seed,
 * validate, decoder, onWarning and plug-in options (label, classNames).
 */
export function openSource(input: unknown, options: SourceOpenOptions = {}): Promise<DataSource> {
  return nodeSourceRegistry.open(input, options);
}
