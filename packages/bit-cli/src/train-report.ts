import type { FineTuneCallbacks, FineTuneResult } from '@bit/train';
import { EXIT } from './errors';
import { printJson } from './output';
import { Progress } from './progress';

/** Progress bar / lines and eval lines on stderr for a training command. */
export function progressCallbacks(): FineTuneCallbacks {
  let progress: Progress | null = null;
  return {
    onStepEnd: (m, ctx) => {
      progress ??= new Progress(ctx.plan.totalSteps);
      progress.step(m);
    },
    onEvalEnd: (m) => {
      const line = `eval at step ${m.step}: top-1 ${(100 * m.top1).toFixed(1)}%, top-5 ${(100 * m.top5).toFixed(1)}%, loss ${m.loss.toFixed(4)}`;
      if (progress) progress.note(line);
      else process.stderr.write(`${line}\n`);
    },
  };
}

/**
 * Reports a finished (or interrupted) training run: a JSON summary on stdout with `--json`, a
 * line on stderr otherwise; disposes the model. Returns the exit code (130 when interrupted:
 * the run checkpointed and can be resumed, which is not a failure).
 */
export function reportRun(
  result: FineTuneResult,
  out: string,
  json: boolean,
  extra: Record<string, unknown> = {},
): number {
  const summary = {
    out,
    status: result.status,
    step: result.step,
    totalSteps: result.plan.totalSteps,
    resumedFrom: result.resumedFrom ?? null,
    classes: result.classes,
    resolution: result.resolution,
    mixupAlpha: result.mixupAlpha,
    final: result.finalEval ?? null,
    ...extra,
  };
  if (json) printJson(summary);
  else process.stderr.write(`${result.status} at step ${result.step}; run folder ${out}\n`);
  if (!json && result.finalEval) {
    const r = result.finalEval;
    process.stderr.write(
      `final eval: top-1 ${(100 * r.top1).toFixed(2)}%, top-5 ${(100 * r.top5).toFixed(2)}%, loss ${r.loss.toFixed(4)} (${r.count} images)\n`,
    );
  }
  result.model.dispose();
  return result.status === 'aborted' ? EXIT.interrupted : EXIT.ok;
}
