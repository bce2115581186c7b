import { DataArgumentError } from '@bit/data';
import { openSource } from '@bit/data/node';
import { disposeModel, getBiTMetadata, isEngineModel, resolveLabels } from '@bit/models/node';
import { evaluate } from '@bit/train';
import { choiceFlag, maxPixelsFlag, numberFlag, parseCommandArgs, workersFlag } from '../args';
import { selectBackend } from '../backends';
import { UsageError } from '../errors';
import { engineFlags, refuseEngineWorkers } from '../engine';
import {
  BACKEND_FLAG,
  ENGINE_FLAG,
  JSON_FLAG,
  MAX_PIXELS_FLAG,
  splitFlag,
  SPLITS,
  THREADS_FLAG,
  WORKERS_FLAG,
} from '../flags';
import { inferenceWorkers } from '../model-inputs';
import { loadModelWithEngine } from '../model-flags';
import { printJson } from '../output';
import { requirePath } from '../paths';
import type { Command } from './types';

const usage =
  'bit eval --model <run dir|file|name> --data <source> [--split train|val|test] [--resolution N] [--batch 32] [--max-pixels N] [--json] [--backend B] [--engine tfjs|onnx] [--threads N] [--workers N]';

const flags = {
  model: {
    type: 'string',
    value: 'MODEL',
    required: true,
    description: 'a run folder (bit finetune --out), an .npz or TF.js checkpoint, or a zoo name',
  },
  data: {
    type: 'string',
    value: 'SOURCE',
    required: true,
    description: 'an image folder, a CSV/JSONL manifest, or an IDX or CIFAR folder',
  },
  split: splitFlag("train, the source's default"),
  resolution: {
    type: 'string',
    value: 'N',
    description: 'resize images to N x N',
    defaultText: "the model's resolution (a run's training crop)",
  },
  batch: { type: 'string', value: 'N', default: '32', description: 'images per forward pass' },
  'max-pixels': MAX_PIXELS_FLAG,
  json: JSON_FLAG,
  backend: BACKEND_FLAG,
  engine: ENGINE_FLAG,
  threads: THREADS_FLAG,
  workers: WORKERS_FLAG,
} as const;

/** `bit eval`: top-1, top-5 and loss of a model on a dataset. */
export const evalCommand: Command = {
  name: 'eval',
  usage,
  summary: 'evaluate a model (e.g. a fine-tuning run) on a dataset: top-1, top-5, loss',
  flags,
  async run(argv) {
    const { values } = parseCommandArgs(argv, flags, usage, { positionals: false });
    const split = choiceFlag(values.split, 'split', SPLITS, usage);
    const resolution = numberFlag(values.resolution, 'resolution', usage, {
      integer: true,
      min: 8,
    });
    const batchSize = numberFlag(values.batch, 'batch', usage, { integer: true, min: 1 })!;
    const engine = engineFlags(values, usage);
    const workerCount = workersFlag(values.workers, usage);
    refuseEngineWorkers(engine, values.workers, workerCount, usage);
    await requirePath(values.data!, 'data', usage);
    const backend = await selectBackend(values.backend, usage);
    const model = await loadModelWithEngine(values.model!, usage, engine);
    let workers: Awaited<ReturnType<typeof inferenceWorkers>>;
    try {
      if (!isEngineModel(model)) workers = await inferenceWorkers(model, workerCount, backend);
      // Class names (a label set such as the embedded model's is resolved to its names).
      const classes = getBiTMetadata(model)?.labels
        ? await resolveLabels(model, undefined)
        : undefined;
      // Relabel the data to the model's classes by name when the model carries them.
      const maxPixels = maxPixelsFlag(values['max-pixels'], usage);
      const source = await openSource(values.data, {
        ...(maxPixels !== undefined ? { maxPixels } : {}),
        ...(split ? { split } : {}),
        ...(classes ? { classes: [...classes] } : {}),
      }).catch((e: unknown) => {
        if (!(classes && e instanceof DataArgumentError && /^classes: /.test(e.message))) throw e;
        throw new UsageError(
          `--data ${values.data} lacks classes of the model (${e.message.replace(/^classes: /, '')}); ` +
            `the model's classes: ${classes.slice(0, 10).join(', ')}${classes.length > 10 ? ', ...' : ''}`,
          usage,
        );
      });
      const r = await evaluate(model, source, {
        batchSize,
        resolution,
        ...(workers ? { inference: workers } : {}),
      });
      const out = { top1: r.top1, top5: r.top5, loss: r.loss, count: r.count };
      if (values.json) printJson(out);
      else
        process.stdout.write(
          `top-1 ${(100 * r.top1).toFixed(2)}%  top-5 ${(100 * r.top5).toFixed(2)}%  loss ${r.loss.toFixed(4)}  (${r.count} images)\n`,
        );
    } finally {
      await workers?.close();
      await disposeModel(model);
    }
    return 0;
  },
};
