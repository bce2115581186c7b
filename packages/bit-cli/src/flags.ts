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
