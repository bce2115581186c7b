import type { FlagSpecs } from '../args';

/** One `bit` sub-command: its name, usage, flags (for parsing and `--help`) and runner. */
export interface Command {
  readonly name: string;
  /** The synopsis line, `bit <name> ...`. */
  readonly usage: string;
  /** One line for `bit --help`. */
  readonly summary: string;
  /** The positional arguments, each with a one-line description, for `--help`. */
  readonly positionals?: ReadonlyArray<readonly [name: string, description: string]>;
  /** Every flag the command takes. */
  readonly flags: FlagSpecs;
  /** Extra lines printed at the end of `--help` (notes, examples). */
  readonly notes?: readonly string[];
  /** Runs the command on its argv (after the command name); resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}
