import type { ImageDecoder } from './inputs.js';

/** The image decoder (PNG, JPEG, ...) from @bit/data/node, or null where it is not available. */
export async function imageDecoder(): Promise<ImageDecoder | null> {
  return null;
}
