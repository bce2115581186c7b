import { HyperRuleError } from '@bit/hyperrule';
import { BitLayersError } from '@bit/layers';
import { BitModelsError } from '@bit/models';
import { BitDataError } from '@bit/data';
import { TrainError } from '@bit/train';

/** Bad usage or bad input: the CLI prints the message (and a usage line) and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  /** Always true: the CLI's own input-error flag, like the libraries' base classes. */
  readonly inputError = true;
  constructor(
    message: string,
    /** The usage line of the command that was misused, printed after the message. */
    readonly usage?: string,
  ) {
    super(message);
  }
}

/** Exit codes of the `bit` command. */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** The error base class of each package; each carries an `inputError` flag. */
const ERROR_BASES = [
  UsageError,
  HyperRuleError,
  BitLayersError,
  BitModelsError,
  BitDataError,
  TrainError,
] as const;

/** File-system codes that mean "the path you gave is wrong", reported as input errors. */
const PATH_CODES = new Set(['ENOENT', 'EISDIR', 'ENOTDIR', 'EACCES']);

/**
 * True when `err` is bad usage or bad input (exit 2) rather than a runtime failure (exit 1): an
 * error of one of the packages' base classes whose `inputError` flag is set, or a file-system
 * error about a path the user named.
 */
export function isInputError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (ERROR_BASES.some((Base) => err instanceof Base)) {
    return (err as { inputError?: boolean }).inputError === true;
  }
  const code = (err as NodeJS.ErrnoException).code;
  return typeof code === 'string' && PATH_CODES.has(code);
}

/** The message of an ENOENT-like error in the words the issue asks for, else the message. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT' && e.path) return `no such file or directory: ${e.path}`;
  if (e.code === 'ENOTDIR' && e.path) return `not a directory: ${e.path}`;
  if (e.code === 'EISDIR' && e.path) return `is a directory, not a file: ${e.path}`;
  if (e.code === 'EACCES' && e.path) return `permission denied: ${e.path}`;
  return err.message;
}
