import { COMMANDS } from './commands/index.js';
import { EXIT, isInputError, UsageError } from './errors.js';

const VERSION = '0.1.0';

function help(): string {
  const lines = ['bit: Big Transfer (BiT) models for TensorFlow.js', '', 'usage:'];
  for (const c of COMMANDS) lines.push(`  ${c.usage}`);
  lines.push('', 'exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad input');
  return lines.join('\n');
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command)
      throw new UsageError(
        `unknown command '${name}'`,
        'bit <command> [options]; bit --help lists them',
      );
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`usage: ${command.usage}\n`);
      return EXIT.ok;
    }
    return await command.run(rest);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (isInputError(err)) {
      process.stderr.write(`bit ${name}: ${message}\n`);
      const usage = err instanceof UsageError ? err.usage : command?.usage;
      if (usage) process.stderr.write(`usage: ${usage}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`bit ${name}: ${message}\n`);
    if (process.env.BIT_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
    return EXIT.failure;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`bit: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT.failure;
  },
);
