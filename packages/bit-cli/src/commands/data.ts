import { inspectSource } from '@bit/data/node';
import { maxPixelsFlag, parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { log, printJson } from '../output.js';
import type { Command } from './types.js';

const usage = 'bit data inspect <source> [--split train|test] [--max-pixels N] [--json]';

/** `bit data inspect`: what a dataset source holds (and which files are broken). */
export const dataCommand: Command = {
  name: 'data',
  usage,
  summary: 'inspect a dataset source: examples, classes, image size, broken files',
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== 'inspect')
      throw new UsageError(`unknown data command '${sub ?? ''}' (only 'inspect')`, usage);
    const { values, positionals } = parseCommandArgs(
      rest,
      {
        split: { type: 'string' },
        'max-pixels': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      usage,
    );
    if (positionals.length !== 1)
      throw new UsageError('name exactly one source (a folder, manifest or dataset dir)', usage);
    if (values.split !== undefined && values.split !== 'train' && values.split !== 'test') {
      throw new UsageError(`--split must be train or test, got '${values.split}'`, usage);
    }
    const info = await inspectSource(positionals[0], {
      split: values.split,
      onWarning: log,
      maxPixels: maxPixelsFlag(values['max-pixels'], usage),
    });
    if (values.json) {
      printJson(info);
    } else {
      const { skipped, classCounts, ...rest2 } = info as typeof info & {
        skipped: unknown[];
        classCounts: unknown;
      };
      for (const [k, v] of Object.entries(rest2))
        process.stdout.write(`${k.padEnd(12)} ${JSON.stringify(v)}\n`);
      process.stdout.write(`${'classCounts'.padEnd(12)} ${JSON.stringify(classCounts)}\n`);
      process.stdout.write(`${'skipped'.padEnd(12)} ${skipped.length}\n`);
    }
    return 0;
  },
};
