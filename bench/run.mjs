#!/usr/bin/env node
/**
 * `npm run bench`: the performance tables of BENCHMARKS.md, each from this one run, side by
 * side: every case is a fresh `bit bench --json` process (so peak RSS is its own), run one
 * after another on an otherwise idle machine (the load average is recorded at the start and
 * the end), then written between the `<!-- bench:start -->` / `<!-- bench:end -->` markers.
 *
 *   node bench/run.mjs [--quick] [--out FILE] [--sections throughput,ratios,memory,load] [--repeat N]
 *
 * --quick: tiny settings (R50x0.5 at 32 px, one iteration, a small checkpoint) to check the
 * harness itself (CI); --out: write the tables to FILE instead of BENCHMARKS.md; --repeat: rounds
 * of each ratio pair, alternating (default 3; 1 with --quick).
 * Backends: cpu and wasm always; tfjs-node / tfjs-node-gpu when installed; the ONNX engine
 * when `bit bench` has `--engine` and onnxruntime-node is installed; `--workers 2` for
 * training when `bit bench` has `--workers`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bit = join(root, 'packages/bit-cli/bin/bit.js');
const args = process.argv.slice(2);
const flag = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const quick = args.includes('--quick');
const out = flag('--out') ?? join(root, 'BENCHMARKS.md');
const sections = (flag('--sections') ?? 'throughput,ratios,memory,load').split(',');
/** Rounds of each ratio pair (A B A B ...): default 3, 1 with --quick. */
const repeat = Number(flag('--repeat') ?? (quick ? 1 : 3));
if (!Number.isInteger(repeat) || repeat < 1) {
  process.stderr.write(
    `bench/run.mjs: --repeat must be an integer >= 1, got '${flag('--repeat')}'\n`,
  );
  process.exit(2);
}

const require = createRequire(join(root, 'packages/bit-cli/package.json'));
const installed = (pkg) => {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
};
const benchHelp = spawnSync(process.execPath, [bit, 'bench', '--help'], { encoding: 'utf8' });
const helpText = `${benchHelp.stdout}${benchHelp.stderr}`;
const hasEngine = helpText.includes('--engine') && installed('onnxruntime-node');
const hasWorkers = helpText.includes('--workers');

const backends = ['cpu', 'wasm'];
if (installed('@tensorflow/tfjs-node')) backends.push('node');
if (installed('@tensorflow/tfjs-node-gpu')) backends.push('node-gpu');

/** Runs `bit bench` with `benchArgs` in a fresh process; its JSON result, or the error. */
function bench(benchArgs) {
  const argv = [bit, 'bench', ...benchArgs, '--json'];
  process.stderr.write(`bit bench ${benchArgs.join(' ')}\n`);
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    const why = (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n')[0];
    return { error: why };
  }
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const q = quick
  ? { model: 'R50x0.5', sizes: [32], deep: 'R101x0.5', iterations: '1', cpuIterations: '1' }
  : { model: 'R50x1', sizes: [128, 224], deep: 'R101x1', iterations: '5', cpuIterations: '1' };
// cpu is slow (a training step of R50x1 at 224 px takes minutes): one timed iteration, no
// warm-up, and for training no replay or profiled step.
const common = (backend, mode = 'inference') =>
  backend === 'cpu'
    ? [
        '--iterations',
        q.cpuIterations,
        '--warmup',
        mode === 'train' ? '0' : '1',
        ...(mode === 'train' ? ['--skip-analysis'] : []),
      ]
    : ['--iterations', q.iterations, '--warmup', '1'];

/** The `bit bench` arguments of one case; backend 'onnx' is the onnx engine. */
const caseArgs = ({ model, size, batch = 4, mode, backend, extra = [] }) => [
  ...['--model', model, '--image-size', String(size), '--batch', String(batch), '--mode', mode],
  ...(backend === 'onnx' ? ['--engine', 'onnx'] : ['--backend', backend]),
  ...extra,
  ...common(backend === 'onnx' ? 'wasm' : backend, mode),
];

const f = (v, d = 2) => (v == null || Number.isNaN(v) ? '—' : v.toFixed(d));
const pct = (v) => (v == null ? '—' : `${(v * 100).toFixed(0)}%`);
const mib = (v) => (v == null ? '—' : `${(v / 2 ** 20).toFixed(0)} MiB`);
const cell = (r, fn) => (r.error ? `failed: ${r.error.slice(0, 80)}` : fn(r));

const startLoad = loadavg()[0];
const started = new Date();
const parts = [];

if (sections.includes('throughput')) {
  const cases = [
    ...q.sizes.map((size) => ({ model: q.model, size })),
    { model: q.deep, size: q.sizes[0] },
  ];
  const rows = [];
  for (const c of cases) {
    const runs = backends.map((b) => ({ label: b, backend: b }));
    if (hasEngine) runs.push({ label: 'onnx engine', backend: 'onnx' });
    for (const run of runs) {
      const at = { model: c.model, size: c.size, backend: run.backend };
      const inf = bench(caseArgs({ ...at, mode: 'inference' }));
      const train =
        run.backend === 'onnx'
          ? { error: 'inference only' }
          : bench(
              caseArgs({
                ...at,
                mode: 'train',
                extra: run.backend === 'cpu' ? [] : ['--breakdown'],
              }),
            );
      rows.push({ c, run, inf, train });
    }
  }
  const lines = [
    '### Throughput (batch 4, random weights)',
    '',
    '| model | size | backend | inference images/s | GFLOP/s (share of raw conv) | raw conv GFLOP/s | training images/s | training / inference | training time: conv / GroupNorm / standardisation / glue |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const { c, run, inf, train } of rows) {
    const b = train.breakdown;
    lines.push(
      `| ${c.model} | ${c.size} | ${run.label} | ${cell(inf, (r) => f(r.imagesPerSecond))} | ` +
        `${cell(inf, (r) => (r.achievedGflops == null ? '—' : `${f(r.achievedGflops, 1)} (${pct(r.convEfficiency)})`))} | ` +
        `${cell(inf, (r) => f(r.rawConvGflops, 1))} | ${cell(train, (r) => f(r.imagesPerSecond))} | ` +
        `${!inf.error && !train.error ? f(train.imagesPerSecond / inf.imagesPerSecond, 3) : '—'} | ` +
        `${b ? `${pct(b.conv)} / ${pct(b.groupNorm)} / ${pct(b.standardization)} / ${pct(b.glue)}` : '—'} |`,
    );
  }
  parts.push(lines.join('\n'));
}

if (sections.includes('ratios')) {
  // The acceptance ratios: each pair alternated `repeat` times (A B A B ...), so that the
  // machine's drift over minutes hits both sides alike; each side is the median of its runs.
  const m = q.model;
  const small = quick ? '32' : '64';
  const lines = [
    `### Ratios (each pair alternated ${repeat} time${repeat === 1 ? '' : 's'}; medians, range in brackets)`,
    '',
    '| what | setting | measured | ratio | bar |',
    '| --- | --- | --- | ---: | ---: |',
  ];
  const size = String(q.sizes[0]);
  const run = (mode, backend, { image = size, batch = 4, extra = [] } = {}) =>
    bench(caseArgs({ model: m, size: image, batch, mode, backend, extra }));
  /** Runs the cases in turn, `repeat` rounds; per case, its results. */
  const alternate = (...cases) => {
    const runs = cases.map(() => []);
    for (let i = 0; i < repeat; i++) cases.forEach((c, k) => runs[k].push(c()));
    return runs;
  };
  /** Median and range of `key` over the runs that succeeded; the first error if none did. */
  const stat = (runs, key) => {
    const ok = runs.filter((r) => !r.error && r[key] != null).map((r) => r[key]);
    if (ok.length === 0)
      return { error: (runs.find((r) => r.error) ?? { error: 'no value' }).error };
    ok.sort((a, b) => a - b);
    const mid = ok.length >> 1;
    const median = ok.length % 2 ? ok[mid] : (ok[mid - 1] + ok[mid]) / 2;
    return { median, min: ok[0], max: ok[ok.length - 1], n: ok.length };
  };
  const show = (st, digits) =>
    st.error
      ? `failed: ${st.error.slice(0, 80)}`
      : st.n > 1
        ? `${f(st.median, digits)} (${f(st.min, digits)}-${f(st.max, digits)})`
        : f(st.median, digits);
  /** A row comparing the median images/s of the runs `a` with those of `b`. */
  const ratioRow = (what, setting, a, b, digits, bar) => {
    const sa = stat(a, 'imagesPerSecond');
    const sb = stat(b, 'imagesPerSecond');
    const ratio = !sa.error && !sb.error ? f(sa.median / sb.median, digits) : '—';
    return `| ${what} | ${setting} | ${show(sa, 2)} vs ${show(sb, 2)} images/s | ${ratio} | ${bar} |`;
  };
  const [wasmInf, wasmTrain] = alternate(
    () => run('inference', 'wasm'),
    () => run('train', 'wasm'),
  );
  const eff = stat(wasmInf, 'convEfficiency');
  lines.push(
    `| wasm inference vs raw wasm conv | ${m} ${size} px batch 4 | ${show(stat(wasmInf, 'achievedGflops'), 1)} of ${show(stat(wasmInf, 'rawConvGflops'), 1)} GFLOP/s | ${eff.error ? '—' : show(eff, 3)} | 0.8 |`,
  );
  lines.push(
    ratioRow('wasm training / inference', `${m} ${size} px batch 4`, wasmTrain, wasmInf, 3, 0.333),
  );
  const [cpuInf, cpuTrain] = alternate(
    () => run('inference', 'cpu', { image: small, batch: 2 }),
    () => run('train', 'cpu', { image: small, batch: 2 }),
  );
  lines.push(
    ratioRow('cpu training / inference', `${m} ${small} px batch 2`, cpuTrain, cpuInf, 3, 0.167),
  );
  if (hasWorkers) {
    const [one, two] = alternate(
      () => run('train', 'wasm', { extra: ['--workers', '1'] }),
      () => run('train', 'wasm', { extra: ['--workers', '2'] }),
    );
    lines.push(
      ratioRow('training, 2 workers / 1', `${m} ${size} px batch 4, wasm`, two, one, 3, 1.6),
    );
    // As bit finetune trains: a batch in micro-batches of 4 (the HyperRule's 512 is always split
    // here), each replica a run of them, one gradient exchange a batch.
    const [big, split] = quick ? [4, 2] : [16, 4];
    const micro = ['--batch-split', String(split)];
    const [oneSplit, twoSplit] = alternate(
      () => run('train', 'wasm', { batch: big, extra: ['--workers', '1', ...micro] }),
      () => run('train', 'wasm', { batch: big, extra: ['--workers', '2', ...micro] }),
    );
    lines.push(
      ratioRow(
        'training, 2 workers / 1',
        `${m} ${size} px batch ${big} as ${split} micro-batches, wasm`,
        twoSplit,
        oneSplit,
        3,
        1.6,
      ),
    );
  } else lines.push('| training, 2 workers / 1 | — | `bit bench` has no --workers | — | 1.6 |');
  if (hasEngine) {
    const [onnx, wasm] = alternate(
      () => run('inference', 'onnx'),
      () => run('inference', 'wasm', { extra: ['--skip-analysis'] }),
    );
    lines.push(
      ratioRow('ONNX engine / wasm inference', `${m} ${size} px batch 4`, onnx, wasm, 2, 5),
    );
  } else
    lines.push(
      '| ONNX engine / wasm inference | — | no `--engine onnx` (or onnxruntime-node missing) | — | 5 |',
    );
  parts.push(lines.join('\n'));
}

if (sections.includes('memory')) {
  const batches = quick ? [1, 2] : [1, 2, 4, 8];
  const size = String(q.sizes[0]);
  const lines = [
    `### Memory per batch size (${q.model}, ${size} px, wasm)`,
    '',
    '| batch | mode | images/s | peak tensor memory in a step | tensors held | peak RSS |',
    '| ---: | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const mode of ['inference', 'train']) {
    for (const batch of batches) {
      const r = bench([
        '--model',
        q.model,
        '--image-size',
        size,
        '--batch',
        String(batch),
        '--mode',
        mode,
        '--backend',
        'wasm',
        '--iterations',
        quick ? '1' : '2',
        '--warmup',
        '1',
      ]);
      lines.push(
        `| ${batch} | ${mode} | ${cell(r, (x) => f(x.imagesPerSecond))} | ${cell(r, (x) => mib(x.peakTensorBytes))} | ${cell(r, (x) => mib(x.tensorBytes))} | ${cell(r, (x) => mib(x.maxRssBytes))} |`,
      );
    }
  }
  parts.push(lines.join('\n'));
}

if (sections.includes('load')) {
  const archs = quick ? ['R50x0.5'] : ['R50x1', 'R152x2', 'R152x4'];
  const lines = [
    '### Checkpoint load (`loadBiT` of an .npz written by the project, cpu backend, fresh process)',
    '',
    '| arch | file | float32 weights | load time | MiB/s | peak RSS | RSS / weights |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const arch of archs) {
    process.stderr.write(`load-rss ${arch}\n`);
    let row;
    try {
      const text = execFileSync(
        process.execPath,
        [join(root, 'bench/load-rss.mjs'), '--arch', arch],
        {
          encoding: 'utf8',
          maxBuffer: 1 << 20,
        },
      );
      row = JSON.parse(text.split('\n')[0]);
    } catch (e) {
      row = { error: String(e.message).split('\n')[0] };
    }
    lines.push(
      row.error
        ? `| ${arch} | failed: ${row.error.slice(0, 80)} | | | | | |`
        : `| ${arch} | ${row.fileMiB} MiB | ${row.weightsMiB} MiB | ${row.loadSeconds} s | ${f(row.fileMiB / row.loadSeconds, 0)} | ${row.peakRssMiB} MiB | ${row.ratio} |`,
    );
  }
  parts.push(lines.join('\n'));
}

const seconds = (Date.now() - started.getTime()) / 1000;
const header =
  `\`npm run bench${quick ? ' -- --quick' : ''}\` on ${availableParallelism()} cores (${cpus()[0]?.model ?? 'cpu'}), ` +
  `${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}, ${started.toISOString().slice(0, 10)}; ` +
  `${Math.round(seconds)} s; load average ${startLoad.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end. ` +
  'Every case is its own `bit bench --json` process, one after another; the ratio pairs alternate ' +
  `(${repeat} round${repeat === 1 ? '' : 's'}). *raw conv* is the rate of the ` +
  "model's own convolutions run one by one with fixed filters on the same backend in the same process; " +
  'training FLOPs are counted as 3x the forward. The time shares come from `--breakdown` (components ' +
  'replayed standalone, so they do not sum exactly to the step).';
const block = `<!-- bench:start -->\n${header}\n\n${parts.join('\n\n')}\n<!-- bench:end -->`;

let doc = '';
try {
  doc = readFileSync(out, 'utf8');
} catch {
  doc = '';
}
const re = /<!-- bench:start -->[\s\S]*<!-- bench:end -->/;
doc = re.test(doc)
  ? doc.replace(re, block)
  : `${doc}${doc.endsWith('\n') || doc === '' ? '' : '\n'}\n## Performance (\`npm run bench\`)\n\n${block}\n`;
writeFileSync(`${out}.tmp`, doc);
renameSync(`${out}.tmp`, out);
process.stderr.write(`wrote ${out} (${Math.round(seconds)} s)\n`);
