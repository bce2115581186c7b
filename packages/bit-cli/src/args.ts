import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { UsageError } from './errors';
import { closest } from './suggest';

/** One flag of a command: how it parses and what `--help` says about it. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  /** One line for `--help`. */
  readonly description: string;
  /** The value's placeholder in `--help` (`N`, `DIR`, ...); string flags only. */
  readonly value?: string;
  /** A default the parser fills in (shown in `--help`). */
  readonly default?: string | boolean;
  /** A default the command works out itself (shown in `--help`, not filled in by the parser). */
  readonly defaultText?: string;
  /** True when the command cannot run without it (shown in `--help`). */
  readonly required?: boolean;
}

/** The flags of one command, by long name (without `--`). */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** Flag values typed from their spec: booleans for boolean flags, strings otherwise. */
export interface ParsedFlags<T extends FlagSpecs> {
  values: {
    [K in keyof T]: T[K]['type'] extends 'boolean' ? boolean | undefined : string | undefined;
  };
  positionals: string[];
}

/**
 * Parses argv for one command. An unknown flag, a missing value or a value given to a boolean
 * flag becomes a UsageError (with "did you mean" for a mistyped flag); so does a missing
 * required flag.
 */
export function parseCommandArgs<const T extends FlagSpecs>(
  argv: string[],
  flags: T,
  usage: string,
): ParsedFlags<T> {
  const options: Record<string, { type: 'string' | 'boolean'; default?: string | boolean }> = {};
  for (const [name, spec] of Object.entries(flags)) {
    options[name] = {
      type: spec.type,
      ...(spec.default !== undefined ? { default: spec.default } : {}),
    };
  }
  let parsed: ParsedFlags<T>;
  try {
    parsed = parseArgs({
      args: argv,
      options,
      allowPositionals: true,
      strict: true,
    }) as unknown as ParsedFlags<T>;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const unknown = /^Unknown option '(-{1,2}[^']+)'/.exec(msg);
    if (unknown) {
      const given = unknown[1].replace(/^-+/, '').split('=')[0];
      const near = closest(given, Object.keys(flags));
      throw new UsageError(
        `unknown flag ${unknown[1]}${near ? `; did you mean --${near}?` : ''}`,
        usage,
      );
    }
    throw new UsageError(msg.replace(/\. To specify a positional.*$/s, ''), usage);
  }
  for (const [name, spec] of Object.entries(flags)) {
    const v = (parsed.values as Record<string, unknown>)[name];
    if (spec.required && (v === undefined || v === '')) {
      throw new UsageError(`--${name} is required`, usage);
    }
  }
  return parsed;
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

/** Reads a flag that takes one of `choices`, naming the flag and the choices when it does not. */
export function choiceFlag<const C extends string>(
  value: string | undefined,
  flag: string,
  choices: readonly C[],
  usage: string,
): C | undefined {
  if (value === undefined) return undefined;
  if ((choices as readonly string[]).includes(value)) return value as C;
  const near = closest(value, choices);
  throw new UsageError(
    `--${flag} must be one of ${choices.join(', ')}, got '${value}'${near ? `; did you mean ${near}?` : ''}`,
    usage,
  );
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

/** `--workers`: an integer >= 1, default the number of cores. */
export function workersFlag(value: string | undefined, usage: string): number {
  return numberFlag(value, 'workers', usage, { integer: true, min: 1 }) ?? defaultWorkers();
}

/** The default of `--workers`: the number of cores. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}
