import { BitModelsError } from '../errors';
/** A BiT ResNetV2 architecture: units per block, width multiplier, classes (0 = no head). */
export interface BiTArchitecture {
  /** Units in each of the four blocks, e.g. [3, 4, 6, 3] for R50. */
  readonly units: readonly [number, number, number, number];
  /** Width multiplier: root channels / 64 (may be fractional, e.g. 0.5). */
  readonly width: number;
  /** Classes of the head; 0 builds the model without a head (pre-logits out). */
  readonly numClasses: number;
}

/** Block depths of the official architectures. */
export const DEPTHS = {
  50: [3, 4, 6, 3],
  101: [3, 4, 23, 3],
  152: [3, 8, 36, 3],
} as const satisfies Record<number, readonly [number, number, number, number]>;

/** Thrown for an architecture that cannot be built (bad name, units or width). */
export class ArchitectureError extends BitModelsError {
  override name = 'ArchitectureError';
}

/**
 * Parses an architecture name such as `R50x1`, `R101x3` or `R152x4` (any `R{50,101,152}x{width}`).
 */
export function parseArchitectureName(name: string, numClasses = 0): BiTArchitecture {
  const m = /^R(50|101|152)x(\d+(?:\.\d+)?)$/i.exec(name.trim());
  if (!m) {
    throw new ArchitectureError(
      `architecture '${name}' is not of the form R{50|101|152}x{width}, e.g. R50x1`,
    );
  }
  const depth = Number(m[1]) as keyof typeof DEPTHS;
  try {
    return validateArchitecture({ units: [...DEPTHS[depth]], width: Number(m[2]), numClasses });
  } catch (err) {
    if (err instanceof ArchitectureError) {
      throw new ArchitectureError(`architecture '${name}': ${err.message}`);
    }
    throw err;
  }
}

/** Checks units, width and classes, returning a normalised copy. */
export function validateArchitecture(arch: {
  units: readonly number[];
  width: number;
  numClasses?: number;
}): BiTArchitecture {
  const { units, width } = arch;
  const numClasses = arch.numClasses ?? 0;
  if (units.length !== 4 || units.some((u) => !Number.isInteger(u) || u < 1)) {
    throw new ArchitectureError(`units must be four positive integers, got [${units.join(', ')}]`);
  }
  if (!(width > 0) || !Number.isInteger(2 * width)) {
    throw new ArchitectureError(
      `width must be a positive multiple of 0.5 (GroupNorm's 32 groups must divide the ` +
        `64 * width channels of the first unit), got ${width}`,
    );
  }
  if (!Number.isInteger(numClasses) || numClasses < 0) {
    throw new ArchitectureError(`numClasses must be a non-negative integer, got ${numClasses}`);
  }
  return { units: [units[0], units[1], units[2], units[3]], width, numClasses };
}

/** Root channels (64 * width). */
export function rootChannels(arch: BiTArchitecture): number {
  return Math.round(64 * arch.width);
}

/** Bottleneck (middle) channels of block `b` (1-based): 64 * width * 2^(b-1). */
export function midChannels(arch: BiTArchitecture, block: number): number {
  return Math.round(64 * arch.width * 2 ** (block - 1));
}

/** Output channels of block `b` (1-based): 4 * mid. */
export function outChannels(arch: BiTArchitecture, block: number): number {
  return 4 * midChannels(arch, block);
}

/** Pre-logits (feature) dimension: the channels of block 4. */
export function featureDim(arch: BiTArchitecture): number {
  return outChannels(arch, 4);
}

/** Parameter count of the architecture (matches the official checkpoints). */
export function countParameters(arch: BiTArchitecture): number {
  const root = rootChannels(arch);
  let n = 7 * 7 * 3 * root;
  let cin = root;
  for (let b = 1; b <= 4; b++) {
    const mid = midChannels(arch, b);
    const out = 4 * mid;
    for (let u = 1; u <= arch.units[b - 1]; u++) {
      n += 2 * cin; // GN a
      n += cin * mid + 2 * mid; // conv a + GN b
      n += 9 * mid * mid + 2 * mid; // conv b + GN c
      n += mid * out; // conv c
      if (u === 1) n += cin * out; // projection (every block's first unit changes channels)
      cin = out;
    }
  }
  n += 2 * cin; // final GN
  if (arch.numClasses > 0) n += cin * arch.numClasses + arch.numClasses;
  return n;
}
