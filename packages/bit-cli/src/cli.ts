import { COMMANDS } from './commands/index';
import { describeError, EXIT, isInputError, UsageError } from './errors';
import { commandHelp, mainHelp } from './help';
import { endQuietlyOnClosedPipe } from './output';
import { closest } from './suggest';

const VERSION = '0.1.0';

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    process.stdout.write(`${topic ? commandHelp(topic) : mainHelp(COMMANDS)}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) {
      const near = closest(
        name,
        COMMANDS.map((c) => c.name),
      );
      throw new UsageError(
        `unknown command '${name}'${near ? `; did you mean '${near}'?` : ''}`,
        'bit <command> [flags]; bit --help lists the commands',
      );
    }
    const flagsEnd = rest.indexOf('--');
    const flags = flagsEnd < 0 ? rest : rest.slice(0, flagsEnd);
    if (flags.includes('--help') || flags.includes('-h')) {
      process.stdout.write(`${commandHelp(command)}\n`);
      return EXIT.ok;
    }
    return await command.run(rest);
  } catch (err) {
    process.stderr.write(`bit ${name}: ${describeError(err)}\n`);
    if (isInputError(err)) {
      const usage = err instanceof UsageError ? err.usage : command?.usage;
      if (usage) process.stderr.write(`usage: ${usage}\n`);
      if (command) process.stderr.write(`(bit ${command.name} --help describes every flag)\n`);
      return EXIT.usage;
    }
    if (process.env.BIT_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
    return EXIT.failure;
  }
}

endQuietlyOnClosedPipe();
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`bit: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT.failure;
  },
);
