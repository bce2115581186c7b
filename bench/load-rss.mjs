#!/usr/bin/env node
/**
 * Benchmark: peak RSS while loading a ~1 GB checkpoint written by the project.
 *   node bench/load-rss.mjs [--arch R152x2] [--keep]
 * Writes an .npz in the official layout (random float32 weights, streamed member by member),
 * then loads it in a fresh process with `loadBiT` on the cpu backend and reports that
 * process's peak RSS (getrusage maxrss) against the weights' size. Prints a markdown row.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
if (args[0] === '--child-load') {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  const { loadBiT } = await import('@bit/models/node');
  const base = process.resourceUsage().maxRSS * 1024;
  const t0 = performance.now();
  const model = await loadBiT(args[1]);
  const seconds = (performance.now() - t0) / 1000;
  const peak = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ peak, base, seconds, params: model.countParams() }));
  process.exit(0);
}

const archName = args.includes('--arch') ? args[args.indexOf('--arch') + 1] : 'R152x2';
const { checkpointLayout, parseArchitectureName } = await import('@bit/models');
const { writeNpzFile } = await import('@bit/models/node');
const dir = mkdtempSync(join(tmpdir(), 'bit-bench-'));
const file = join(dir, `${archName}.npz`);
try {
  const arch = parseArchitectureName(archName, 1000);
  let seed = 1;
  function* arrays() {
    for (const e of checkpointLayout(arch)) {
      const n = e.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        seed = (seed * 1664525 + 1013904223) >>> 0;
        data[i] = (seed / 2 ** 32 - 0.5) * 0.1;
      }
      yield { name: e.name, shape: e.shape, data };
    }
  }
  await writeNpzFile(file, arrays());
  const bytes = statSync(file).size;
  const out = execFileSync(
    process.execPath,
    [new URL(import.meta.url).pathname, '--child-load', file],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  const r = JSON.parse(out);
  const weights = r.params * 4;
  const row = {
    arch: archName,
    fileMiB: +(bytes / 2 ** 20).toFixed(1),
    weightsMiB: +(weights / 2 ** 20).toFixed(1),
    peakRssMiB: +(r.peak / 2 ** 20).toFixed(1),
    ratio: +(r.peak / weights).toFixed(3),
    loadSeconds: +r.seconds.toFixed(1),
  };
  console.log(JSON.stringify(row));
  console.log(
    `| ${row.arch} | ${row.fileMiB} MiB | ${row.weightsMiB} MiB | ${row.peakRssMiB} MiB | ${row.ratio} | ${row.loadSeconds} s |`,
  );
} finally {
  if (!args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
}
