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
 * flag becomes a UsageError (with "did you mean" for a mistyped flag); so do a missing
 * required flag and, with `positionals: false`, any positional argument.
 */
export function parseCommandArgs<const T extends FlagSpecs>(
  argv: string[],
  flags: T,
  usage: string,
  { positionals = true }: { positionals?: boolean } = {},
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
      args: joinNegativeValues(argv, options),
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
  if (!positionals && parsed.positionals.length > 0) {
    throw new UsageError(
      `unexpected argument '${parsed.positionals[0]}': this command takes flags only`,
      usage,
    );
  }
  for (const [name, spec] of Object.entries(flags)) {
    const v = (parsed.values as Record<string, unknown>)[name];
    if (spec.required && (v === undefined || v === '')) {
      throw new UsageError(`--${name} is required`, usage);
    }
  }
  return parsed;
}

/**
 * `--flag -1` as `--flag=-1` for string flags, so that a negative value reaches the flag's own
 * check ("must be >= 1") instead of node:util's "argument is ambiguous" advice.
 */
function joinNegativeValues(
  argv: string[],
  options: Record<string, { type: 'string' | 'boolean' }>,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = /^--([a-z][a-z0-9-]*)$/.exec(argv[i])?.[1];
    const next = argv[i + 1];
    if (
      name !== undefined &&
      options[name]?.type === 'string' &&
      next !== undefined &&
      /^-(\d|\.\d|Infinity)/.test(next)
    ) {
      out.push(`--${name}=${next}`);
      i++;
    } else {
      out.push(argv[i]);
    }
  }
  return out;
}

/** `--max-pixels N`: the pixel limit of image decoding (a positive integer), or undefined. */
export function maxPixelsFlag(value: string | undefined, usage: string): number | undefined {
  return numberFlag(value, 'max-pixels', usage, { integer: true, min: 1 });
}

/**
 * Largest values of numeric flags, beyond which a command could only fail deep inside (an
 * array too long to allocate, thousands of threads): pixel sizes, batch sizes, counts.
 */
const FLAG_MAXIMA: Record<string, number> = {
  size: 4096,
  resolution: 4096,
  'image-size': 4096,
  batch: 65536,
  'batch-split': 65536,
  workers: 64,
  threads: 256,
  classes: 1_000_000,
  top: 1_000_000,
  'examples-per-class': 1_000_000,
  width: 64,
};

/** A plain decimal number (no hex, no binary, no blanks): what every numeric flag takes. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Reads a flag as a finite decimal number within bounds (`max` defaults to the flag's entry in
 * a table of sane limits), naming the flag and the range when it is not.
 */
export function numberFlag(
  value: string | undefined,
  flag: string,
  usage: string,
  {
    integer = false,
    min = -Infinity,
    max = FLAG_MAXIMA[flag] ?? Infinity,
  }: { integer?: boolean; min?: number; max?: number } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (
    !DECIMAL.test(value) ||
    !Number.isFinite(n) ||
    (integer && !Number.isSafeInteger(n)) ||
    n < min ||
    n > max
  ) {
    const kind = integer ? 'an integer' : 'a number';
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new UsageError(`--${flag} must be ${kind} ${range}, got '${value}'`, usage);
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
