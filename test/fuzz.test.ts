/**
 * Fuzzing as part of the test suite (issue 13, item 2): a short, fixed-seed budget of mutated
 * inputs for every parser of outside input. Each case must be accepted or refused with a typed
 * error naming the input, within the target's time bound and memory bound. `npm run fuzz` runs
 * the long campaign (100,000 cases per parser) and writes its table to BENCHMARKS.md.
 *
 * BIT_FUZZ_CASES overrides the per-target budget.
 */
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { runCampaign } from './fuzz/run';
import { allTargets } from './fuzz/targets';

/**
 * Cases per target in CI (about 30 s in all): images (sharp, pure-JS decoding) and TF.js shards
 * (files on disk) cost more than the small parsers.
 */
function budget(target: string): number {
  if (process.env.BIT_FUZZ_CASES) return Number(process.env.BIT_FUZZ_CASES);
  if (/png|jpeg/.test(target)) return 150;
  if (/shards/.test(target)) return 80;
  return 400;
}
const SEED = 20261;

sharp.cache(false);
const targets = allTargets();
afterAll(async () => {
  for (const t of targets) await t.close?.();
});

describe('fuzzing every parser of outside input', () => {
  // A target whose valid seeds are refused would only ever test its error path.
  it.each(targets.map((t) => [t.name, t] as const))('%s accepts its seed inputs', async (_n, t) => {
    for (const [i, seed] of (await t.seeds()).entries()) await t.run(seed, `seed-${i}`);
  });

  it.each(targets.map((t) => [t.name, t] as const))(
    '%s',
    async (_name, target) => {
      const cases = budget(target.name);
      const r = await runCampaign(target, { cases, seed: SEED });
      expect(r.bad, JSON.stringify(r.bad.slice(0, 5), null, 1)).toEqual([]);
      expect(r.accepted + r.refused).toBe(cases);
      // The mutations must reach the parser's refusals, not only inputs it shrugs off.
      expect(r.refused).toBeGreaterThan(cases / 10);
    },
    300_000,
  );
});
