/**
 * Registry of extra per-image augmentations, applied in place to the float32 output of the
 * HyperRule resize/crop/flip. Parameters are drawn on the main thread from the pipeline's
 * RNG (so order and augmentation depend on the seed only) and must be JSON/structured-clone
 * serialisable, because the worker pool applies them in other threads. Register custom ones
 * in worker threads too (WorkerPool option `imports`).
 */
import { DataArgumentError } from '../errors';
import type { Rng } from '../random/rng';

/** An augmentation: draw parameters from the RNG, then apply them to HWC float pixels. */
export interface Augmentation<P = unknown, O = unknown> {
  /** Draws this image's parameters (structured-clone serialisable). */
  sample(rng: Rng, options: O): P;
  /** Applies the parameters in place to `pixels` (HWC, 3 channels, values in [0, 1]). */
  apply(pixels: Float32Array, height: number, width: number, params: P): void;
}

const registry = new Map<string, Augmentation<any, any>>();

/** Adds (or replaces) a named augmentation. */
export function registerAugmentation<P, O>(name: string, augmentation: Augmentation<P, O>): void {
  if (!name) throw new DataArgumentError('registerAugmentation: name must be a non-empty string');
  registry.set(name, augmentation as Augmentation<any, any>);
}

/** The augmentation registered under `name`; throws DataArgumentError when there is none. */
export function getAugmentation(name: string): Augmentation<any, any> {
  const a = registry.get(name);
  if (!a) {
    throw new DataArgumentError(
      `unknown augmentation "${name}" (registered: ${[...registry.keys()].join(', ') || 'none'})`,
    );
  }
  return a;
}

/** Names of the registered augmentations. */
export function listAugmentations(): string[] {
  return [...registry.keys()];
}

/** Built-in: brightness jitter, pixels scaled by a factor in [1 - delta, 1 + delta], clipped to [0, 1]. */
registerAugmentation<number, { delta?: number }>('brightness', {
  sample: (rng, options) => {
    const delta = options?.delta ?? 0.1;
    return 1 - delta + 2 * delta * rng.next();
  },
  apply: (pixels, _h, _w, factor) => {
    for (let i = 0; i < pixels.length; i++) pixels[i] = Math.min(1, pixels[i] * factor);
  },
});
