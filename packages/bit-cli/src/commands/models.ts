import { listModels } from '@bit/models';
import { parseCommandArgs } from '../args.js';
import { printJson } from '../output.js';
import type { Command } from './types.js';

const usage = 'bit models [--json]';

/** `bit models`: the model zoo. */
export const modelsCommand: Command = {
  name: 'models',
  usage,
  summary: 'list the BiT model zoo (official checkpoints and registered ones)',
  async run(argv) {
    const { values } = parseCommandArgs(argv, { json: { type: 'boolean', default: false } }, usage);
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
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
    process.stdout.write(`${line(header)}\n${rows.map(line).join('\n')}\n`);
    return 0;
  },
};
