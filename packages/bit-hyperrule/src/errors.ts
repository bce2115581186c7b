/**
 * Error thrown by every function of `@bit/hyperrule` for a bad argument (the package's only
 * error class, and so its base class).
 *
 * It extends the built-in `RangeError` (so `err instanceof RangeError` holds) and its
 * message starts with the function and argument names, then says what is wrong and what
 * was given, e.g. `getSchedule: datasetSize must be a non-negative integer, got -3`.
 */
export class HyperRuleError extends RangeError {
  override readonly name = 'HyperRuleError';
  /** Always true: every HyperRuleError is a bad argument (the package's input-error flag). */
  readonly inputError = true;
  /** The function that rejected the argument, e.g. `getSchedule`. */
  readonly fn: string;
  /** The argument (or field) that was rejected, e.g. `datasetSize`. */
  readonly argument: string;

  constructor(fn: string, argument: string, message: string) {
    super(`${fn}: ${argument} ${message}`);
    this.fn = fn;
    this.argument = argument;
  }
}
