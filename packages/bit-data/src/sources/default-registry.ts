/** The isomorphic default source registry (in-memory and browser sources). */
import {
  blobsSourcePlugin,
  filesSourcePlugin,
  imageElementsSourcePlugin,
  urlsSourcePlugin,
} from '../browser/sources';
import { arraysSourcePlugin, examplesSourcePlugin, tensorsSourcePlugin } from './memory';
import { SourceRegistry } from './registry';
import type { DataSource, SourceOpenOptions } from './types';

/** A new registry with the isomorphic plug-ins (arrays, tensors, examples, files, blobs, urls, image elements). */
export function createSourceRegistry(): SourceRegistry {
  return new SourceRegistry()
    .register(arraysSourcePlugin)
    .register(tensorsSourcePlugin)
    .register(examplesSourcePlugin)
    .register(filesSourcePlugin)
    .register(blobsSourcePlugin)
    .register(urlsSourcePlugin)
    .register(imageElementsSourcePlugin);
}

/** The shared isomorphic registry; register your own source plug-ins here. */
export const sourceRegistry: SourceRegistry = createSourceRegistry();

/** Opens any input the shared registry recognises (see SourceRegistry.open). */
export function openSource(input: unknown, options: SourceOpenOptions = {}): Promise<DataSource> {
  return sourceRegistry.open(input, options);
}
