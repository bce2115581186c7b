import { inspectSource } from '@bit/data/node';
import { choiceFlag, maxPixelsFlag, parseCommandArgs } from '../args';
import { UsageError } from '../errors';
import { JSON_FLAG, MAX_PIXELS_FLAG, splitFlag, SPLITS } from '../flags';
import { log, printJson, table } from '../output';
import { requirePath } from '../paths';
import { closest } from '../suggest';
import type { Command } from './types';

const usage = 'bit data inspect <source> [--split train|val|test] [--max-pixels N] [--json]';

const flags = {
  split: splitFlag("train, the source's default"),
  'max-pixels': MAX_PIXELS_FLAG,
  json: JSON_FLAG,
} as const;

const SUBCOMMANDS = ['inspect'];

/** `[h, w]` as `HxW`. */
function size(hw: readonly [number, number] | undefined): string {
  return hw ? `${hw[0]}x${hw[1]}` : '?';
}

/** `bit data inspect`: what a dataset source holds (and which files are broken). */
export const dataCommand: Command = {
  name: 'data',
  usage,
  summary: 'inspect a dataset source: examples, classes, image sizes, broken files',
  positionals: [
    ['inspect', 'the only sub-command'],
    ['<source>', 'an image folder, a CSV/JSONL manifest, or an IDX or CIFAR folder'],
  ],
  flags,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== 'inspect') {
      const near = sub ? closest(sub, SUBCOMMANDS) : undefined;
      throw new UsageError(
        `unknown data command '${sub ?? ''}' (only 'inspect')${near ? `; did you mean '${near}'?` : ''}`,
        usage,
      );
    }
    const { values, positionals } = parseCommandArgs(rest, flags, usage);
    if (positionals.length !== 1)
      throw new UsageError('name exactly one source (a folder, manifest or dataset dir)', usage);
    const split = choiceFlag(values.split, 'split', SPLITS, usage);
    await requirePath(positionals[0], undefined, usage);
    const info = await inspectSource(positionals[0], {
      split,
      onWarning: log,
      maxPixels: maxPixelsFlag(values['max-pixels'], usage),
    });
    if (values.json) {
      printJson(info);
      return 0;
    }
    const sizes =
      info.height && info.width
        ? `${info.height}x${info.width} (all)`
        : info.minSize
          ? `${size(info.minSize)} to ${size(info.maxSize)} (mixed)`
          : 'unknown';
    const rows: string[][] = [
      ['format', info.format],
      ...(info.split ? [['split', info.split]] : []),
      ['examples', String(info.numExamples)],
      ['classes', String(info.numClasses)],
      ['image size', sizes],
      ['channels', String(info.channels ?? 3)],
      ['skipped', String(info.skipped.length)],
    ];
    let text = table(rows);
    text += `\n${table([['class', 'examples'], ...info.classes.map((c, i) => [c, String(info.classCounts[i])])], [1])}`;
    if (info.skipped.length) {
      text += `\n${table([['skipped file', 'reason'], ...info.skipped.map((s) => [s.path, s.reason])])}`;
    }
    process.stdout.write(text);
    return 0;
  },
};
