#!/usr/bin/env node
/**
 * `npm run bench:transfer`: the whole transfer experiment. Runs every point (bit / scratch /
 * linear x k = 1, 2, 5, 10, 25 x seeds 0-2) as `bench/transfer-point` processes, `--jobs` at a
 * time (default: the number of cores; each wasm process uses one), then writes
 * bench/results/transfer.json and bench/results/transfer.svg, with the summary of
 * bench/results/transfer-probe.json (`bench/transfer-probe`, which `npm run bench:transfer` runs
 * first) in the JSON and its pixel baseline in the plot. Points already in transfer.json
 * with the same settings are kept (`--fresh` reruns all), so an interrupted run resumes.
 *   node bench/transfer.mjs [--jobs N] [--fresh] [--modes bit,scratch,linear]
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { TRANSFER } from './transfer/point.mjs';
import { summarise, transferSvg } from './transfer/plot.mjs';

const here = dirname(new URL(import.meta.url).pathname);
const resultsDir = join(here, 'results');
const jsonPath = join(resultsDir, 'transfer.json');
const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: String(availableParallelism()) },
    fresh: { type: 'boolean', default: false },
    modes: { type: 'string', default: TRANSFER.modes.join(',') },
  },
});
const jobs = Math.max(1, Number(values.jobs));
const modes = values.modes.split(',');

const settings = {
  steps: TRANSFER.steps,
  batchSize: TRANSFER.batchSize,
  baseLr: TRANSFER.baseLr,
  resolution: TRANSFER.resolution,
  model: TRANSFER.model,
};
const previous = existsSync(jsonPath) ? JSON.parse(readFileSync(jsonPath, 'utf8')) : null;
const keep =
  !values.fresh && previous && JSON.stringify(previous.settings) === JSON.stringify(settings)
    ? previous.points
    : [];
const key = (p) => `${p.mode}/${p.examplesPerClass}/${p.seed}`;
const done = new Map(keep.map((p) => [key(p), p]));
const todo = [];
for (const mode of modes)
  for (const k of TRANSFER.examplesPerClass)
    for (const seed of TRANSFER.seeds) {
      if (!done.has(key({ mode, examplesPerClass: k, seed })))
        todo.push({ mode, examplesPerClass: k, seed });
    }

function write() {
  const points = [...done.values()].sort(
    (a, b) =>
      a.mode.localeCompare(b.mode) || a.examplesPerClass - b.examplesPerClass || a.seed - b.seed,
  );
  const upstreamPath = join(resultsDir, 'upstream.json');
  const probePath = join(resultsDir, 'transfer-probe.json');
  const probe = existsSync(probePath) ? JSON.parse(readFileSync(probePath, 'utf8')) : null;
  const doc = {
    description:
      'Few-shot transfer: Fashion-MNIST classes 5-9 (held out from pre-training), k examples per class, evaluated on the whole test split of those classes (5000 images)',
    settings,
    points,
    summary: summarise(points),
    upstream: existsSync(upstreamPath) ? JSON.parse(readFileSync(upstreamPath, 'utf8')) : null,
    // bench/transfer-probe: nearest-class-mean top-1 with no training (mean over its seeds).
    probe: probe && { seeds: probe.seeds, evalCount: probe.evalCount, summary: probe.summary },
  };
  const tmp = `${jsonPath}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`);
  renameSync(tmp, jsonPath);
  const reference = probe?.summary?.pixels && {
    label: `pixels, nearest class mean, no training (${probe.seeds.length} seeds)`,
    values: probe.summary.pixels,
  };
  if (points.length)
    writeFileSync(join(resultsDir, 'transfer.svg'), transferSvg(points, { reference }));
}

const point = join(here, 'transfer-point');
function runOne(p) {
  return new Promise((resolve, reject) => {
    const args = [
      '--mode',
      p.mode,
      '--examples-per-class',
      String(p.examplesPerClass),
      '--seed',
      String(p.seed),
      '--json',
    ];
    execFile(process.execPath, [point, ...args], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${key(p)} failed: ${stderr || err.message}`));
      const lines = stdout.trim().split('\n');
      resolve(JSON.parse(lines[lines.length - 2]));
    });
  });
}

const started = performance.now();
console.error(`transfer: ${todo.length} points to run (${done.size} kept), ${jobs} at a time`);
let next = 0;
async function worker() {
  while (next < todo.length) {
    const p = todo[next++];
    const r = await runOne(p);
    done.set(key(r), r);
    write();
    console.error(
      `${key(r)}: top-1 ${(100 * r.top1).toFixed(2)}% (${r.seconds.toFixed(0)} s; ${done.size} done, ${((performance.now() - started) / 60000).toFixed(1)} min)`,
    );
  }
}
await Promise.all(Array.from({ length: jobs }, worker));
write();
const s = summarise([...done.values()]);
for (const mode of Object.keys(s)) {
  console.error(
    `${mode}: ${s[mode].map((p) => `k=${p.k} ${(100 * p.mean).toFixed(1)}%`).join(', ')}`,
  );
}
