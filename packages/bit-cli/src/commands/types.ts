/** One `bit` sub-command: a name, a usage line, a summary and a runner returning an exit code. */
export interface Command {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  run(argv: string[]): Promise<number>;
}
