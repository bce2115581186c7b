/** What the training commands (finetune, pretrain) share about `--out`, the run folder. */
import { readdir, stat } from 'node:fs/promises';
import { isRunFolder, NodeRunStore, RUN_FILES } from '@bit/train/node';
import { UsageError } from './errors';
import { requireCreatableUnder } from './paths';

/** Library option names in the words of the training commands' flags (for @bit/train messages). */
const OPTION_FLAGS: ReadonlyArray<[RegExp, string]> = [
  [/\b(fineTuneRun|fineTune|pretrainRun|pretrain): /g, ''],
  [/\bpass resume\b/g, 'pass --resume'],
  [/\boverwrite to start over\b/g, '--overwrite to start over'],
  [/\bbatchSize\b/g, '--batch'],
  [/\bbatchSplit\b/g, '--batch-split'],
  [/\bmicroBatch\b/g, 'micro-batch (--memory)'],
  [/\bbaseLr\b/g, '--base-lr'],
  [/\bmixupAlpha\b/g, '--mixup'],
  [/\bexamplesPerClass\b/g, '--examples-per-class'],
  [/\bweightDecay\b/g, '--weight-decay'],
  [/\bwarmupSteps\b/g, '--warmup-steps'],
  [/\bevalEvery\b/g, '--eval-every'],
  [/\bcheckpointEvery\b/g, '--checkpoint-every'],
  [/\bschedule\b/g, 'schedule (--steps)'],
  [/\bresolution\b/g, 'resolution (--resolution)'],
  [/\bmode\b/g, 'mode (--head-only)'],
  [/\bseed\b/g, '--seed'],
];

/** A @bit/train message in the words of the training commands' flags. */
export function inFlagTerms(message: string): string {
  return OPTION_FLAGS.reduce((m, [re, flag]) => m.replace(re, flag), message);
}

/** Names a run writes (and `--overwrite` removes) in its folder. */
const RUN_NAMES: readonly string[] = [RUN_FILES.checkpoint, RUN_FILES.model, RUN_FILES.metrics];

/**
 * Checks `--out` before anything is loaded: a used run folder needs `--resume` or `--overwrite`;
 * a folder that is not a run but holds a `checkpoint/`, `model/` or `metrics.jsonl` of the user's
 * is refused (a run would write over them, `--overwrite` would remove them). Nothing is deleted.
 */
export async function checkRunOut(
  out: string,
  resume: boolean,
  overwrite: boolean,
  usage: string,
): Promise<void> {
  if (resume && overwrite) {
    throw new UsageError('give --resume or --overwrite, not both', usage);
  }
  const s = await stat(out).catch(() => null);
  if (!s) return requireCreatableUnder(out, 'out', usage);
  if (!s.isDirectory()) throw new UsageError(`--out ${out} is a file, not a folder`, usage);
  if (await isRunFolder(out)) {
    if (resume || overwrite) return;
    const state = await new NodeRunStore(out).readState().catch(() => undefined);
    const at = state
      ? ` (checkpoint at step ${state.step}${state.finished ? ', finished' : ''})`
      : '';
    throw new UsageError(
      `--out ${out} already holds a run${at}: pass --resume to continue it or --overwrite to start over, or choose another --out`,
      usage,
    );
  }
  const clash = (await readdir(out)).filter((n) => RUN_NAMES.includes(n));
  if (clash.length) {
    throw new UsageError(
      `--out ${out} is not a bit run but holds ${clash.join(', ')}, which a run would replace; choose another --out`,
      usage,
    );
  }
}
