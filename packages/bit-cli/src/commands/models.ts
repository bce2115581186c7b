import { listModels } from '@bit/models';
import { parseCommandArgs } from '../args';
import { JSON_FLAG } from '../flags';
import { printJson, table } from '../output';
import type { Command } from './types';

const usage = 'bit models [--json]';
const flags = { json: JSON_FLAG } as const;

/** `bit models`: the model zoo. */
export const modelsCommand: Command = {
  name: 'models',
  usage,
  summary: 'list the BiT model zoo (official checkpoints and registered ones)',
  flags,
  async run(argv) {
    const { values } = parseCommandArgs(argv, flags, usage, { positionals: false });
    const models = listModels().map((e) => ({
      name: e.name,
      architecture: e.architecture,
      classes: e.architecture.numClasses,
      labels: e.labels,
      parameters: e.parameters,
      approxBytes: e.approxBytes,
      resolution: e.resolution,
      url: e.url,
      description: e.description,
      embedded: e.embedded === true,
    }));
    if (values.json) {
      printJson({ models });
      return 0;
    }
    const rows = models.map((m) => [
      m.name,
      `${(m.parameters / 1e6).toFixed(2)}M`,
      String(m.classes),
      `${(m.approxBytes / 2 ** 20).toFixed(0)} MiB`,
      String(m.resolution),
    ]);
    const header = ['name', 'params', 'classes', 'size', 'res'];
    process.stdout.write(table([header, ...rows], [1, 2, 3, 4]));
    return 0;
  },
};
