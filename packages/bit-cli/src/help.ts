import type { FlagSpec } from './args';
import type { Command } from './commands/types';

/** Lays out `[left, right]` rows as two columns, the right one starting at the same place. */
export function columns(rows: ReadonlyArray<readonly [string, string]>, indent = '  '): string[] {
  const width = Math.max(0, ...rows.map(([l]) => l.length));
  return rows.map(([l, r]) => `${indent}${l.padEnd(width)}  ${r}`.trimEnd());
}

function flagLabel(name: string, spec: FlagSpec): string {
  return spec.type === 'boolean' ? `--${name}` : `--${name} ${spec.value ?? 'VALUE'}`;
}

function flagNote(spec: FlagSpec): string {
  if (spec.required) return ' (required)';
  if (spec.defaultText !== undefined) return ` (default ${spec.defaultText})`;
  if (spec.type === 'string' && spec.default !== undefined) return ` (default ${spec.default})`;
  return '';
}

/** `bit <command> --help`: usage, summary, arguments, and each flag with its default. */
export function commandHelp(command: Command): string {
  const lines = [`usage: ${command.usage}`, '', command.summary];
  if (command.positionals?.length) {
    lines.push('', 'arguments:', ...columns(command.positionals.map(([n, d]) => [n, d])));
  }
  const rows: Array<[string, string]> = Object.entries(command.flags).map(([name, spec]) => [
    flagLabel(name, spec),
    `${spec.description}${flagNote(spec)}`,
  ]);
  rows.push(['-h, --help', 'show this help']);
  lines.push('', 'flags:', ...columns(rows));
  if (command.notes?.length) lines.push('', ...command.notes);
  return lines.join('\n');
}

/** `bit --help`: every command with its summary. */
export function mainHelp(commands: readonly Command[]): string {
  return [
    'bit: Big Transfer (BiT) models for TensorFlow.js',
    '',
    'usage: bit <command> [flags]   (bit <command> --help describes its flags)',
    '',
    'commands:',
    ...columns(commands.map((c) => [c.name, c.summary])),
    '',
    'exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad input, 130 interrupted',
  ].join('\n');
}
