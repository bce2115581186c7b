import { loadBiT, saveBiT } from '@bit/models/node';
import { parseCommandArgs } from '../args.js';
import { selectBackend } from '../backends.js';
import { UsageError } from '../errors.js';
import { log, printJson } from '../output.js';
import type { Command } from './types.js';

const usage =
  'bit convert <checkpoint> --out <path> [--format tfjs|npz] [--dtype float32|float16] [--compress] [--json]';

/** `bit convert`: between .npz (official layout) and TF.js (model.json + shards). */
export const convertCommand: Command = {
  name: 'convert',
  usage,
  summary: 'convert a checkpoint between .npz (official layout) and TF.js, float32 or float16',
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        out: { type: 'string' },
        format: { type: 'string' },
        dtype: { type: 'string', default: 'float32' },
        compress: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      usage,
    );
    if (positionals.length !== 1)
      throw new UsageError('name exactly one checkpoint to convert', usage);
    if (!values.out) throw new UsageError('--out is required', usage);
    const format = values.format ?? (values.out.endsWith('.npz') ? 'npz' : 'tfjs');
    if (format !== 'npz' && format !== 'tfjs')
      throw new UsageError(`--format must be tfjs or npz, got '${format}'`, usage);
    const dtype = values.dtype;
    if (dtype !== 'float32' && dtype !== 'float16') {
      throw new UsageError(`--dtype must be float32 or float16, got '${dtype}'`, usage);
    }
    await selectBackend('cpu', usage);
    const model = await loadBiT(positionals[0]);
    await saveBiT(model, values.out, { format, dtype, compress: values.compress });
    log(`wrote ${values.out} (${format}, ${dtype})`);
    if (values.json) printJson({ out: values.out, format, dtype, parameters: model.countParams() });
    model.dispose();
    return 0;
  },
};
