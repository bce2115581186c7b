import { hyperRule } from '@bit/hyperrule';
import { numberFlag, parseCommandArgs, sizeFlag } from '../args.js';
import { UsageError } from '../errors.js';
import { printJson } from '../output.js';
import type { Command } from './types.js';

const usage =
  'bit hyperrule --dataset-size N --image-size HxW [--batch B] [--base-lr LR] [--steps S] [--json]';

/** `bit hyperrule`: the BiT-HyperRule plan for a dataset. */
export const hyperruleCommand: Command = {
  name: 'hyperrule',
  usage,
  summary: 'print the BiT-HyperRule plan (resolution, schedule, lr, MixUp) for a dataset',
  async run(argv) {
    const { values } = parseCommandArgs(
      argv,
      {
        'dataset-size': { type: 'string' },
        'image-size': { type: 'string' },
        batch: { type: 'string' },
        'base-lr': { type: 'string' },
        steps: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      usage,
    );
    if (values['dataset-size'] === undefined)
      throw new UsageError('--dataset-size is required', usage);
    if (values['image-size'] === undefined) throw new UsageError('--image-size is required', usage);
    const datasetSize = numberFlag(values['dataset-size'], 'dataset-size', usage, {
      integer: true,
      min: 0,
    })!;
    const imageSize = sizeFlag(values['image-size'], 'image-size', usage);
    const plan = hyperRule({
      datasetSize,
      imageSize,
      batchSize: numberFlag(values.batch, 'batch', usage, { integer: true, min: 1 }),
      baseLr: numberFlag(values['base-lr'], 'base-lr', usage, { min: Number.MIN_VALUE }),
      steps: numberFlag(values.steps, 'steps', usage, { integer: true, min: 1 }),
    });
    if (values.json) {
      printJson(plan);
    } else {
      const rows: Array<[string, unknown]> = Object.entries(plan);
      for (const [k, v] of rows) process.stdout.write(`${k.padEnd(12)} ${JSON.stringify(v)}\n`);
    }
    return 0;
  },
};
