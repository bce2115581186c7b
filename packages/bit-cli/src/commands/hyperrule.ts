import { hyperRule, type HyperRulePlan } from '@bit/hyperrule';
import { numberFlag, parseCommandArgs, sizeFlag } from '../args';
import { JSON_FLAG } from '../flags';
import { printJson, table } from '../output';
import type { Command } from './types';

const usage =
  'bit hyperrule --dataset-size N --image-size HxW [--batch B] [--base-lr LR] [--steps S] [--json]';

const flags = {
  'dataset-size': {
    type: 'string',
    value: 'N',
    required: true,
    description: 'training examples (picks the schedule and MixUp)',
  },
  'image-size': {
    type: 'string',
    value: 'HxW',
    required: true,
    description: "the images' size, e.g. 28x28 (picks the resolution)",
  },
  batch: {
    type: 'string',
    value: 'B',
    defaultText: '512',
    description: 'examples per optimizer step',
  },
  'base-lr': {
    type: 'string',
    value: 'LR',
    defaultText: '0.003',
    description: 'base learning rate',
  },
  steps: {
    type: 'string',
    value: 'S',
    description: 'scale the schedule to S steps',
    defaultText: "the HyperRule's (500, 10000 or 20000)",
  },
  json: JSON_FLAG,
} as const;

/** What each field of the plan means, in the order the table shows them. */
const FIELDS: ReadonlyArray<[keyof HyperRulePlan, string]> = [
  ['datasetSize', 'training examples'],
  ['imageSize', 'image size (height, width)'],
  ['precrop', 'resize side before the random crop'],
  ['crop', 'random crop side (training), resize side (eval)'],
  ['schedule', 'step boundaries: warm-up end, lr / 10 at each, end'],
  ['officialSchedule', "the HyperRule's own schedule (before --steps)"],
  ['totalSteps', 'optimizer steps'],
  ['scaled', 'schedule rescaled by --steps'],
  ['baseLr', 'base learning rate'],
  ['batchSize', 'examples per optimizer step'],
  ['momentum', 'SGD momentum'],
  ['weightDecay', 'weight decay'],
  ['mixupAlpha', 'MixUp alpha (0: off)'],
];

function show(key: string, v: unknown): string {
  if (key === 'imageSize' && Array.isArray(v)) return v.join('x');
  return Array.isArray(v) ? v.join(', ') : String(v);
}

/** `bit hyperrule`: the BiT-HyperRule plan for a dataset. */
export const hyperruleCommand: Command = {
  name: 'hyperrule',
  usage,
  summary: 'print the BiT-HyperRule plan (resolution, schedule, lr, MixUp) for a dataset',
  flags,
  async run(argv) {
    const { values } = parseCommandArgs(argv, flags, usage, { positionals: false });
    const datasetSize = numberFlag(values['dataset-size'], 'dataset-size', usage, {
      integer: true,
      min: 0,
    })!;
    const imageSize = sizeFlag(values['image-size']!, 'image-size', usage);
    const plan = hyperRule({
      datasetSize,
      imageSize,
      batchSize: numberFlag(values.batch, 'batch', usage, { integer: true, min: 1 }),
      baseLr: numberFlag(values['base-lr'], 'base-lr', usage, { min: Number.MIN_VALUE }),
      steps: numberFlag(values.steps, 'steps', usage, { integer: true, min: 1 }),
    });
    if (values.json) {
      printJson(plan);
      return 0;
    }
    const shown = new Set<string>(FIELDS.map(([k]) => k));
    const rows = FIELDS.filter(([k]) => k in plan).map(([k, what]) => [k, show(k, plan[k]), what]);
    // Fields a later @bit/hyperrule adds still appear, without a description.
    for (const [k, v] of Object.entries(plan)) if (!shown.has(k)) rows.push([k, show(k, v), '']);
    process.stdout.write(table([['field', 'value', 'meaning'], ...rows]));
    return 0;
  },
};
