/** Where an embedded zoo entry (a checkpoint shipped inside @bit/models) lives, isomorphically. */
import type { ZooEntry } from '../zoo/registry';

/** Thrown when an embedded checkpoint cannot be located in this environment. */
export class EmbeddedModelError extends Error {
  override name = 'EmbeddedModelError';
}

/**
 * The URL of an embedded entry's file: under `assetBaseUrl` when given (a folder URL; a
 * trailing slash is added), else next to the package's build as `../assets/<entry.url>`
 * (`new URL(..., import.meta.url)`, which Vite and other bundlers rewrite to the emitted asset;
 * with Vite's dependency pre-bundling, exclude `@bit/models` from `optimizeDeps` or pass
 * `assetBaseUrl`).
 * @throws EmbeddedModelError when the entry is not embedded, or when there is no base to resolve
 *   against (a CommonJS build without `assetBaseUrl`).
 */
export function embeddedAssetUrl(entry: ZooEntry, assetBaseUrl?: string | URL): string {
  if (!entry.embedded) {
    throw new EmbeddedModelError(`zoo entry '${entry.name}' is not embedded`);
  }
  if (assetBaseUrl !== undefined) {
    const base = String(assetBaseUrl);
    return new URL(entry.url, base.endsWith('/') ? base : `${base}/`).href;
  }
  try {
    // Written out in full so bundlers (Vite, webpack 5, esbuild's loader) see the asset.
    return new URL(`../assets/${entry.url}`, import.meta.url).href;
  } catch {
    // A CommonJS build: import.meta is empty there.
    throw new EmbeddedModelError(
      `embedded model '${entry.name}': cannot locate @bit/models' assets from a CommonJS build; ` +
        "pass { assetBaseUrl } (the URL of the folder serving @bit/models/assets) or import '@bit/models/node' in Node",
    );
  }
}
