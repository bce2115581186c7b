/**
 * Runs a fuzz campaign over one target: `cases` mutated inputs from a fixed seed, each parsed
 * once, classified as accepted, refused with a typed error naming the input, or bad: an untyped
 * error, an error not naming the input, a case over the time bound (CPU time of the process, so a
 * loaded machine does not count against the parser) or over the memory bound (growth of the
 * process's peak RSS during the case).
 */
import { makeCase } from './mutate';
import type { FuzzTarget } from './targets';

/** A case that broke a rule. */
export interface BadCase {
  readonly index: number;
  readonly edits: readonly string[];
  readonly problem: string;
}

/** What a campaign found. */
export interface CampaignResult {
  readonly target: string;
  readonly cases: number;
  readonly accepted: number;
  readonly refused: number;
  readonly bad: BadCase[];
  /** CPU time (user + system, all threads) of the slowest case: the bound applies to it. */
  readonly slowestMs: number;
  readonly slowestCase: number;
  /** Wall-clock time of the slowest case by wall clock (inflated on a loaded machine). */
  readonly slowestWallMs: number;
  /** Peak resident memory of the process during the campaign (MB). */
  readonly peakRssMB: number;
  /** Largest peak-RSS growth within one case (MB) and the bound it had. */
  readonly worstGrowthMB: number;
  readonly seconds: number;
}

const MB = 1024 * 1024;
const maxRss = () => process.resourceUsage().maxRSS * 1024; // maxRSS is in KiB

/** Runs `cases` cases of `target` from `seed`. `onProgress` is called every 1000 cases. */
export async function runCampaign(
  target: FuzzTarget,
  options: { cases: number; seed: number; onProgress?: (done: number) => void },
): Promise<CampaignResult> {
  const inputs = await target.seeds();
  const bad: BadCase[] = [];
  let accepted = 0;
  let refused = 0;
  let slowestMs = 0;
  let slowestCase = -1;
  let slowestWallMs = 0;
  let worstGrowthMB = 0;
  const started = performance.now();
  for (let i = 0; i < options.cases; i++) {
    const c = makeCase(options.seed, i, inputs, target.edits);
    const name = `fuzz-${i}.${target.name.replace(/[^a-z]+/gi, '')}`;
    const rssBefore = maxRss();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let error: unknown;
    try {
      await target.run(c.bytes, name);
    } catch (e) {
      error = e;
    }
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    // CPU time, not wall time: the bound is about the parser, not about a busy machine.
    const ms = (cpu.user + cpu.system) / 1000;
    slowestWallMs = Math.max(slowestWallMs, wall);
    const growth = (maxRss() - rssBefore) / MB;
    if (ms > slowestMs) {
      slowestMs = ms;
      slowestCase = i;
    }
    worstGrowthMB = Math.max(worstGrowthMB, growth);
    const fail = (problem: string) => bad.push({ index: i, edits: c.edits, problem });
    const bound = (target.memory.factor * c.bytes.length) / MB + target.memory.constantMB;
    if (ms > target.maxMs) fail(`took ${ms.toFixed(0)} ms of CPU (bound ${target.maxMs} ms)`);
    if (growth > bound)
      fail(`peak memory grew ${growth.toFixed(0)} MB (bound ${bound.toFixed(0)} MB)`);
    if (error === undefined) {
      accepted++;
    } else {
      const e = error as Error;
      const typed = e instanceof Error && target.errors.includes(e.name);
      const named =
        e instanceof Error && (target.names ?? ((m, n) => m.includes(n)))(e.message, name);
      if (!typed) fail(`untyped ${e?.name ?? typeof e}: ${String(e?.message ?? e).slice(0, 200)}`);
      else if (!named) fail(`${e.name} does not name the input: ${e.message.slice(0, 200)}`);
      else refused++;
    }
    if (options.onProgress && (i + 1) % 1000 === 0) options.onProgress(i + 1);
  }
  return {
    target: target.name,
    cases: options.cases,
    accepted,
    refused,
    bad,
    slowestMs,
    slowestCase,
    slowestWallMs,
    peakRssMB: maxRss() / MB,
    worstGrowthMB,
    seconds: (performance.now() - started) / 1000,
  };
}
