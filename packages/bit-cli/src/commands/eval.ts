import { openSource } from '@bit/data/node';
import { getBiTMetadata, resolveLabels } from '@bit/models/node';
import { evaluate } from '@bit/train';
import { maxPixelsFlag, numberFlag, parseCommandArgs } from '../args.js';
import { selectBackend } from '../backends.js';
import { UsageError } from '../errors.js';
import { loadModelFlag } from '../model-flags.js';
import { printJson } from '../output.js';
import type { Command } from './types.js';

const usage =
  'bit eval --model <run dir|file|name> --data <source> [--split train|test] [--resolution N] [--batch 32] [--json] [--backend B]';

/** `bit eval`: top-1, top-5 and loss of a model on a dataset. */
export const evalCommand: Command = {
  name: 'eval',
  usage,
  summary: 'evaluate a model (e.g. a fine-tuning run) on a dataset: top-1, top-5, loss',
  async run(argv) {
    const { values } = parseCommandArgs(
      argv,
      {
        model: { type: 'string' },
        data: { type: 'string' },
        split: { type: 'string' },
        resolution: { type: 'string' },
        batch: { type: 'string' },
        'max-pixels': { type: 'string' },
        json: { type: 'boolean', default: false },
        backend: { type: 'string' },
      },
      usage,
    );
    if (!values.model) throw new UsageError('--model is required', usage);
    if (!values.data) throw new UsageError('--data is required', usage);
    const resolution = numberFlag(values.resolution, 'resolution', usage, {
      integer: true,
      min: 8,
    });
    const batchSize = numberFlag(values.batch, 'batch', usage, { integer: true, min: 1 }) ?? 32;
    await selectBackend(values.backend, usage);
    const model = await loadModelFlag(values.model);
    // Class names (a label set such as the embedded model's is resolved to its names).
    const classes = getBiTMetadata(model)?.labels
      ? await resolveLabels(model, undefined)
      : undefined;
    // Relabel the data to the model's classes by name when the model carries them.
    const maxPixels = maxPixelsFlag(values['max-pixels'], usage);
    const source = await openSource(values.data, {
      ...(maxPixels !== undefined ? { maxPixels } : {}),
      ...(values.split ? { split: values.split } : {}),
      ...(classes ? { classes: [...classes] } : {}),
    });
    const r = await evaluate(model, source, { batchSize, resolution });
    model.dispose();
    const out = { top1: r.top1, top5: r.top5, loss: r.loss, count: r.count };
    if (values.json) printJson(out);
    else
      process.stdout.write(
        `top-1 ${(100 * r.top1).toFixed(2)}%  top-5 ${(100 * r.top5).toFixed(2)}%  loss ${r.loss.toFixed(4)}  (${r.count} images)\n`,
      );
    return 0;
  },
};
