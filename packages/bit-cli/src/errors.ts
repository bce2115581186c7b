/** Bad usage or bad input: the CLI prints the message (and a usage line) and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    /** The usage line of the command that was misused, printed after the message. */
    readonly usage?: string,
  ) {
    super(message);
  }
}

/** Exit codes of the `bit` command. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/**
 * Errors thrown by the libraries for bad input (a damaged checkpoint, an unknown model, a bad
 * argument) are the user's input problems, not crashes: they map to exit 2 like usage errors.
 */
const INPUT_ERROR_NAMES = new Set([
  'UsageError',
  'RangeError',
  'HyperRuleError',
  'ArchitectureError',
  'ImageInputError',
  'CheckpointFormatError',
  'CheckpointMismatchError',
  'UnknownModelError',
  'DataSourceError',
  'BitLayersError',
  'LabelsError',
  'DataArgumentError',
  'DataFormatError',
  'SourceNotFoundError',
  'ImageDecodeError',
  'ImageTooLargeError',
  'TfjsFormatError',
  'ByteSourceError',
  'FewShotError',
  'TrainConfigError',
  'CheckpointError',
]);

/** True when `err` is bad usage or bad input (exit 2) rather than a runtime failure (exit 1). */
export function isInputError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (INPUT_ERROR_NAMES.has(err.name) || err instanceof RangeError) return true;
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR' || code === 'EACCES';
}
