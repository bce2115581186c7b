/** Flags several commands share, described once. */
import type { FlagSpec } from './args';
import { backendNames } from './backends';

/** `--json`: the result as one JSON line on stdout. */
export const JSON_FLAG = {
  type: 'boolean',
  default: false,
  description: 'print the result as JSON on stdout (logs stay on stderr)',
} as const satisfies FlagSpec;

/** `--backend`: which tfjs backend runs the command. */
export const BACKEND_FLAG = {
  type: 'string',
  value: 'B',
  description: `tfjs backend: ${backendNames().join(', ')} or auto`,
  defaultText: 'auto, the fastest installed',
} as const satisfies FlagSpec;

/** `--workers`: replicas over worker threads (tfjs's wasm backend is single-threaded in Node). */
export const WORKERS_FLAG = {
  type: 'string',
  value: 'N',
  description: 'split the work over N threads (this one and N - 1 workers); 1 = in this thread',
  defaultText: 'the number of cores',
} as const satisfies FlagSpec;

/** `--workers` of predict and features: by default no more replicas than inputs. */
export const INFERENCE_WORKERS_FLAG = {
  ...WORKERS_FLAG,
  defaultText: 'the number of cores, at most one per input',
} as const satisfies FlagSpec;

/** The split names every command accepts (`val` and `validation` are the same split). */
export const SPLITS = ['train', 'val', 'validation', 'test'] as const;

/** `--split`: which split of a dataset with splits. */
export function splitFlag(defaultText: string): FlagSpec {
  return {
    type: 'string',
    value: 'NAME',
    description: `dataset split: ${SPLITS.join(', ')}`,
    defaultText,
  };
}

/** `--model` of the inference commands (predict, features). */
export const MODEL_FLAG = {
  type: 'string',
  value: 'MODEL',
  required: true,
  description: 'a zoo name (bit models), an .npz or TF.js checkpoint, or a run folder',
} as const satisfies FlagSpec;

/** `--size` of the inference commands. */
export const SIZE_FLAG = {
  type: 'string',
  value: 'N',
  description: 'resize images to N x N (.npy inputs are used as they are)',
  defaultText: "the model's resolution, else 224",
} as const satisfies FlagSpec;

/** The flags every training command (finetune, pretrain) has, with the same meaning. */
export const RUN_FLAGS = {
  out: {
    type: 'string',
    value: 'DIR',
    required: true,
    description: 'the run folder: checkpoint/, metrics.jsonl, and model/ when done',
  },
  'eval-every': { type: 'string', value: 'N', description: 'evaluate --val every N steps' },
  'checkpoint-every': {
    type: 'string',
    value: 'N',
    description: 'write checkpoint/ every N steps (always on Ctrl-C and at the end)',
    defaultText: '--eval-every',
  },
  resume: { type: 'boolean', default: false, description: 'continue the run in --out' },
  overwrite: {
    type: 'boolean',
    default: false,
    description: "start over in --out (removes only the run's checkpoint/, model/, metrics.jsonl)",
  },
  backend: BACKEND_FLAG,
  workers: WORKERS_FLAG,
  'max-pixels': {
    type: 'string',
    value: 'N',
    description: 'skip training images with more pixels than N (read from the header)',
    defaultText: '50000000',
  },
  json: { ...JSON_FLAG, description: 'print the run summary as JSON on stdout' },
} as const satisfies Record<string, FlagSpec>;

/** `--max-pixels`: the pixel limit of image decoding (checked from the header, before decoding). */
export const MAX_PIXELS_FLAG = {
  type: 'string',
  value: 'N',
  description: 'refuse images with more pixels than N (read from the header, before decoding)',
  defaultText: '50000000',
} as const satisfies FlagSpec;

/** `--engine`: which engine runs inference. */
export const ENGINE_FLAG = {
  type: 'string',
  value: 'tfjs|onnx',
  default: 'tfjs',
  description:
    'inference engine: tfjs (the --backend), or onnx (onnxruntime-node, CPU; install with ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node)',
} as const satisfies FlagSpec;

/** `--threads`: onnxruntime's intra-op threads. */
export const THREADS_FLAG = {
  type: 'string',
  value: 'N',
  description: 'onnx engine: intra-op threads',
  defaultText: 'the number of cores',
} as const satisfies FlagSpec;

/** The flags of the inference commands on images (predict, features): model, decoding, backend, engine, workers. */
export const IMAGE_INFERENCE_FLAGS = {
  model: MODEL_FLAG,
  size: SIZE_FLAG,
  'max-pixels': MAX_PIXELS_FLAG,
  backend: BACKEND_FLAG,
  engine: ENGINE_FLAG,
  threads: THREADS_FLAG,
  workers: INFERENCE_WORKERS_FLAG,
} as const satisfies Record<string, FlagSpec>;
