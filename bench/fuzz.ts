/**
 * `npm run fuzz`: the long mutation-fuzz campaign over every parser of outside input (the same
 * targets and rules as test/fuzz.test.ts), 100,000 cases per parser by default, and its table
 * written into BENCHMARKS.md between the `fuzz` markers.
 *
 *   npm run fuzz -- [--cases N] [--seed S] [--targets npz,png,...] [--no-write]
 *
 * Exit code 1 when any case broke a rule (untyped error, error not naming the input, over the
 * time bound, over the memory bound); the first ones are printed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { runCampaign, type CampaignResult } from '../test/fuzz/run';
import { allTargets } from '../test/fuzz/targets';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const cases = Number(flag('cases') ?? 100_000);
const seed = Number(flag('seed') ?? 20261);
const only = flag('targets')
  ?.split(',')
  .map((s) => s.trim().toLowerCase());
const write = !process.argv.includes('--no-write');
if (!Number.isInteger(cases) || cases <= 0) throw new Error(`--cases must be a positive integer`);

sharp.cache(false);
const targets = allTargets().filter(
  (t) => !only || only.some((o) => t.name.toLowerCase().includes(o)),
);
const results: CampaignResult[] = [];
let failed = false;
for (const target of targets) {
  process.stderr.write(`${target.name}: ${cases} cases...\n`);
  const r = await runCampaign(target, {
    cases,
    seed,
    onProgress: (done) => {
      if (done % 10_000 === 0) process.stderr.write(`  ${done}\n`);
    },
  });
  results.push(r);
  if (r.bad.length) {
    failed = true;
    for (const b of r.bad.slice(0, 5))
      process.stderr.write(`  BAD case ${b.index} [${b.edits.join(' ')}]: ${b.problem}\n`);
  }
  process.stderr.write(
    `  accepted ${r.accepted}, refused ${r.refused}, bad ${r.bad.length}, slowest ${r.slowestMs.toFixed(0)} ms, ${r.seconds.toFixed(0)} s\n`,
  );
  await target.close?.();
}

const rows = results.map(
  (r) =>
    `| ${r.target} | ${r.cases} | ${r.accepted} | ${r.refused} | ${r.bad.length} | ` +
    `${r.slowestMs.toFixed(0)} ms (case ${r.slowestCase}) | ${r.slowestWallMs.toFixed(0)} ms | ` +
    `${r.worstGrowthMB.toFixed(0)} MB | ` +
    `${r.peakRssMB.toFixed(0)} MB | ${r.seconds.toFixed(0)} s |`,
);
const table = [
  '| parser | cases | accepted | refused (typed, named) | bad | slowest case (CPU) | slowest case (wall) | worst peak-RSS growth in one case | peak RSS | time |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows,
].join('\n');
const section = `<!-- fuzz:start -->
\`npm run fuzz -- --cases ${cases} --seed ${seed}\` on ${availableParallelism()} cores,
${(totalmem() / 2 ** 30).toFixed(0)} GB, ${new Date().toISOString().slice(0, 10)}; one process, targets in turn.

${table}
<!-- fuzz:end -->`;
process.stdout.write(`${table}\n`);
if (write) {
  const path = join(process.cwd(), 'BENCHMARKS.md');
  const text = readFileSync(path, 'utf8');
  const marked = /<!-- fuzz:start -->[\s\S]*<!-- fuzz:end -->/;
  const next = marked.test(text)
    ? text.replace(marked, section)
    : `${text.trimEnd()}\n\n## Mutation fuzzing of every outside-input parser\n\n${section}\n`;
  writeFileSync(path, next);
  process.stderr.write('BENCHMARKS.md updated\n');
}
process.exitCode = failed ? 1 : 0;
