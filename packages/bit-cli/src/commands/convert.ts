import { extname } from 'node:path';
import {
  DEFAULT_RESOLUTION,
  defaultOnnxExternalData,
  getBiTMetadata,
  saveBiT,
  type BiTMetadata,
} from '@bit/models/node';
import { choiceFlag, parseCommandArgs } from '../args';
import { selectBackend } from '../backends';
import { UsageError } from '../errors';
import { JSON_FLAG } from '../flags';
import { loadModelFlag } from '../model-flags';
import { log, printJson } from '../output';
import { exists, requireCreatableUnder } from '../paths';
import type { Command } from './types';

const usage =
  'bit convert <checkpoint | --model name|file|run folder> --out <path> [--format tfjs|npz|onnx] [--dtype float32|float16] [--compress] [--external-data] [--force] [--json]';

const FORMATS = ['tfjs', 'npz', 'onnx'] as const;
const DTYPES = ['float32', 'float16'] as const;

const flags = {
  model: {
    type: 'string',
    value: 'NAME|FILE|DIR',
    description:
      'the checkpoint, instead of the positional: a zoo name, an .npz, a TF.js folder or a run folder',
  },
  out: {
    type: 'string',
    value: 'PATH',
    required: true,
    description:
      'where to write: a .npz file, an .onnx file, or a folder for TF.js (model.json + shards)',
  },
  format: {
    type: 'string',
    value: 'tfjs|npz|onnx',
    description: 'output format; must agree with --out (onnx: float32, for onnxruntime)',
    defaultText: 'from --out: npz for .npz, onnx for .onnx, else tfjs',
  },
  dtype: {
    type: 'string',
    value: 'float32|float16',
    default: 'float32',
    description: 'weight dtype',
  },
  compress: { type: 'boolean', default: false, description: 'deflate the .npz members (npz only)' },
  'external-data': {
    type: 'boolean',
    description:
      'onnx: write the weights to <out>.data beside the model (ONNX external data; models over 2 GiB need it)',
    defaultText: 'when the weights exceed 1 GiB',
  },
  force: { type: 'boolean', default: false, description: 'replace --out when it exists' },
  json: JSON_FLAG,
} as const;

/**
 * The output format: `--format` when given, else from `--out`'s extension (.npz: npz; .onnx:
 * onnx; no extension: a TF.js folder). Refuses a `--format` that contradicts the extension, and
 * extensions that name a format this command does not write.
 */
export function outputFormat(out: string, format: string | undefined): 'tfjs' | 'npz' | 'onnx' {
  const ext = extname(out).toLowerCase();
  const fromExt =
    ext === '.npz' ? 'npz' : ext === '.onnx' ? 'onnx' : ext === '' ? 'tfjs' : undefined;
  const given = choiceFlag(format, 'format', FORMATS, usage);
  if (ext === '.json') {
    throw new UsageError(
      `--out ${out}: name the TF.js folder (it will hold model.json), not model.json itself`,
      usage,
    );
  }
  if (given === undefined) {
    if (fromExt === undefined) {
      throw new UsageError(
        `--out ${out}: cannot tell the format from '${ext}'; use .npz, .onnx, a folder name, or --format`,
        usage,
      );
    }
    return fromExt;
  }
  if (given === 'npz' && ext !== '.npz') {
    throw new UsageError(`--format npz needs an --out ending in .npz, got '${out}'`, usage);
  }
  if (given === 'onnx' && ext !== '.onnx') {
    throw new UsageError(`--format onnx needs an --out ending in .onnx, got '${out}'`, usage);
  }
  if (given === 'tfjs' && (ext === '.npz' || ext === '.onnx')) {
    throw new UsageError(
      `--format tfjs contradicts --out ${out} (an ${ext} name); drop --format or name a folder`,
      usage,
    );
  }
  return given;
}

/**
 * What writing `meta`'s model as .npz loses (the official layout has weights only; a bare .npz
 * loads with no labels at the upstream 224 px): its label set and a resolution other than 224.
 */
function npzDrops(meta: BiTMetadata | undefined): string[] {
  if (!meta) return [];
  const lost: string[] = [];
  if (meta.labels !== null && meta.labels !== undefined) lost.push('labels');
  if (meta.resolution !== undefined && meta.resolution !== DEFAULT_RESOLUTION) {
    lost.push(`resolution (${meta.resolution} px)`);
  }
  return lost;
}

function npzFlags(meta: BiTMetadata): string {
  const flags: string[] = [];
  if (meta.resolution !== undefined && meta.resolution !== DEFAULT_RESOLUTION) {
    flags.push(`--size ${meta.resolution}`);
  }
  if (meta.labels !== null && meta.labels !== undefined) {
    flags.push(typeof meta.labels === 'string' ? `--labels ${meta.labels}` : '--labels FILE');
  }
  return flags.join(' ');
}

/** `bit convert`: between .npz (official layout) and TF.js (model.json + shards); to ONNX. */
export const convertCommand: Command = {
  name: 'convert',
  usage,
  summary:
    'convert a checkpoint between .npz (official layout) and TF.js, float32 or float16; export ONNX',
  positionals: [['<checkpoint>', 'an .npz or TF.js checkpoint, a run folder, or a zoo name']],
  flags,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, flags, usage);
    const sources = [...positionals, ...(values.model !== undefined ? [values.model] : [])];
    if (sources.length !== 1) throw new UsageError('name exactly one checkpoint to convert', usage);
    const out = values.out!;
    const format = outputFormat(out, values.format);
    const dtype = choiceFlag(values.dtype, 'dtype', DTYPES, usage)!;
    if (values.compress && format !== 'npz') {
      throw new UsageError('--compress applies to .npz output only', usage);
    }
    if (values['external-data'] !== undefined && format !== 'onnx') {
      throw new UsageError('--external-data applies to .onnx output only', usage);
    }
    if (format === 'onnx' && dtype !== 'float32') {
      throw new UsageError('--format onnx writes float32 weights only; drop --dtype', usage);
    }
    if (!values.force && (await exists(out))) {
      throw new UsageError(`--out ${out} already exists; pass --force to replace it`, usage);
    }
    await requireCreatableUnder(out, 'out', usage);
    await selectBackend('cpu', usage);
    const model = await loadModelFlag(
      sources[0],
      usage,
      values.model !== undefined ? '--model' : '<checkpoint>',
    );
    try {
      const externalData =
        format === 'onnx' ? (values['external-data'] ?? defaultOnnxExternalData(model)) : false;
      await saveBiT(model, out, { format, dtype, compress: values.compress, externalData });
      log(`wrote ${out}${externalData ? ` and ${out}.data` : ''} (${format}, ${dtype})`);
      const meta = getBiTMetadata(model);
      const lost = format === 'npz' ? npzDrops(meta) : [];
      if (meta && lost.length > 0) {
        log(
          `note: the .npz layout holds weights only, so this model's ${lost.join(' and ')} ` +
            `${lost.length > 1 ? 'are' : 'is'} not in ${out}; predict from it with ` +
            `${npzFlags(meta)}, or convert to TF.js, which keeps both`,
        );
      }
      if (values.json) {
        printJson({
          out,
          format,
          dtype,
          parameters: model.countParams(),
          ...(externalData ? { externalData: `${out}.data` } : {}),
        });
      }
    } finally {
      model.dispose();
    }
    return 0;
  },
};
