import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Flag values typed from their spec: booleans for boolean flags, strings otherwise. */
export interface ParsedFlags<T extends OptionSpec> {
  values: {
    [K in keyof T]: T[K]['type'] extends 'boolean' ? boolean | undefined : string | undefined;
  };
  positionals: string[];
}

/** Parses argv for one command; unknown flags and missing values become UsageErrors. */
export function parseCommandArgs<const T extends OptionSpec>(
  argv: string[],
  options: T,
  usage: string,
): ParsedFlags<T> {
  try {
    return parseArgs({
      args: argv,
      options,
      allowPositionals: true,
      strict: true,
    }) as unknown as ParsedFlags<T>;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new UsageError(msg.replace(/\. To specify a positional.*$/s, ''), usage);
  }
}

/** Reads a flag as a finite number within bounds, naming the flag when it is not. */
/** `--max-pixels N`: the pixel limit of image decoding (a positive integer), or undefined. */
export function maxPixelsFlag(value: string | undefined, usage: string): number | undefined {
  return numberFlag(value, 'max-pixels', usage, { integer: true, min: 1 });
}

export function numberFlag(
  value: string | undefined,
  flag: string,
  usage: string,
  { integer = false, min = -Infinity }: { integer?: boolean; min?: number } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min) {
    const kind = integer ? 'an integer' : 'a number';
    throw new UsageError(`--${flag} must be ${kind} >= ${min}, got '${value}'`, usage);
  }
  return n;
}

/** Parses `HxW` (or a single `N` for a square) into [height, width]. */
export function sizeFlag(value: string, flag: string, usage: string): [number, number] {
  const m = /^(\d+)(?:[xX](\d+))?$/.exec(value.trim());
  if (!m) throw new UsageError(`--${flag} must look like HxW (e.g. 28x28), got '${value}'`, usage);
  const h = Number(m[1]);
  const w = Number(m[2] ?? m[1]);
  if (h < 1 || w < 1) throw new UsageError(`--${flag} must be positive, got '${value}'`, usage);
  return [h, w];
}
