#!/usr/bin/env node
/**
 * `npm run bench:upstream`: the upstream pre-training of the embedded model, then shipping it.
 *   1. `bit pretrain` (the command in UPSTREAM_ARGS) into bench/runs/upstream-fmnist, resumable:
 *      run it again after an interruption and it continues from the last checkpoint;
 *   2. `--ship` (also run after 1): the trained model to
 *      packages/bit-models/assets/BiT-FMNIST-R14x0.5.npz (official layout, float16, deflated),
 *      its test accuracy on classes 0-4 (5000 images) as shipped, recorded logits for the
 *      embedded-model test, and bench/results/upstream.json (command, time, accuracy).
 *   node bench/upstream.mjs [--ship-only]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { openSource } from '@bit/data/node';
import {
  EMBEDDED_MODEL,
  getBiTMetadata,
  loadBiT,
  resolveLabels,
  saveBiT,
  writeNpzFile,
} from '@bit/models/node';
import { registerWasmTrainingKernels } from '@bit/layers/kernels';
import { evaluate, openRun } from '@bit/train/node';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const data = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const run = process.env.BIT_UPSTREAM_RUN ?? join(root, 'bench/runs/upstream-fmnist');
export const UPSTREAM_ARGS = [
  'pretrain',
  '--train',
  data,
  '--classes',
  '0-4',
  '--val',
  data,
  '--out',
  relative(root, run),
  '--units',
  '1,1,1,1',
  '--width',
  '0.5',
  '--epochs',
  '10',
  '--batch',
  '128',
  '--resolution',
  '32',
  '--eval-every',
  '500',
  '--checkpoint-every',
  '100',
  '--seed',
  '0',
  '--backend',
  'wasm',
  '--json',
];
const cli = join(root, 'packages/bit-cli/dist/cli.js');
const log = join(root, 'bench/runs/upstream-fmnist.log');

if (!process.argv.includes('--ship-only')) {
  mkdirSync(dirname(log), { recursive: true });
  const started = Date.now();
  const resume = existsSync(join(run, 'checkpoint')) ? ['--resume'] : [];
  const out = execFileSync(process.execPath, [cli, ...UPSTREAM_ARGS, ...resume], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  writeFileSync(join(root, 'bench/runs/upstream-fmnist.json'), out);
  writeFileSync(log, `exit 0 seconds ${Math.round((Date.now() - started) / 1000)}\n`, {
    flag: 'a',
  });
}

// --- ship ---
registerWasmTrainingKernels();
await tf.setBackend('wasm');
await tf.ready();
const trained = await openRun(run);
if (!trained.finished && !process.env.BIT_SHIP_UNFINISHED)
  throw new Error(`${run} has not finished (checkpoint at step ${trained.step})`);
const asset = join(root, 'packages/bit-models/assets', `${EMBEDDED_MODEL}.npz`);
mkdirSync(dirname(asset), { recursive: true });
await saveBiT(trained.model, asset, { format: 'npz', dtype: 'float16', compress: true });
trained.model.dispose();

const shipped = await loadBiT(EMBEDDED_MODEL);
const meta = getBiTMetadata(shipped);
const names = await resolveLabels(shipped, undefined);
const test = await openSource(data, { split: 'test', classes: names });
const r = await evaluate(shipped, test, { batchSize: 100, resolution: meta.resolution });

// Recorded logits for the embedded-model test: the first two test images of each class.
const picks = [];
for (let c = 0; c < 5; c++) {
  let found = 0;
  for (let i = 0; i < test.size && found < 2; i++) {
    if (test.label(i) !== c) continue;
    picks.push(i);
    found++;
  }
}
const { Rng, applyAugment, loadImage, sampleAugmentParams } = await import('@bit/data');
const evalParams = sampleAugmentParams(new Rng(0), {
  mode: 'eval',
  resolution: { precrop: meta.resolution, crop: meta.resolution },
});
const size = meta.resolution;
const input = new Float32Array(picks.length * size * size * 3);
for (let j = 0; j < picks.length; j++) {
  const img = await loadImage(test.example(picks[j]).image);
  input.set(applyAugment(img, evalParams).data, j * size * size * 3);
}
const x = tf.tensor4d(input, [picks.length, size, size, 3]);
const logits = shipped.predict(x);
const fixtures = join(root, 'packages/bit-models/test/fixtures/embedded');
mkdirSync(fixtures, { recursive: true });
await writeNpzFile(join(fixtures, 'input.npz'), [
  { name: 'input', shape: [picks.length, size, size, 3], data: input },
]);
writeFileSync(
  join(fixtures, 'expected.json'),
  `${JSON.stringify(
    {
      model: EMBEDDED_MODEL,
      labels: picks.map((i) => test.label(i)),
      logits: Array.from(await logits.data()),
      shape: logits.shape,
    },
    null,
    0,
  )}\n`,
);
tf.dispose([x, logits]);
shipped.dispose();

const summaryPath = join(root, 'bench/runs/upstream-fmnist.json');
const summaryText = existsSync(summaryPath) ? readFileSync(summaryPath, 'utf8').trim() : '';
const summary = summaryText ? JSON.parse(summaryText) : null;
const times = existsSync(log)
  ? [...readFileSync(log, 'utf8').matchAll(/^exit 0 seconds (\d+)/gm)].map((m) => Number(m[1]))
  : [];
const upstream = {
  model: EMBEDDED_MODEL,
  command: `bit ${UPSTREAM_ARGS.join(' ')}`,
  data: 'Fashion-MNIST train split, classes 0-4 (T-shirt/top, Trouser, Pullover, Dress, Coat): 30000 images',
  architecture: summary?.architecture ?? { units: [1, 1, 1, 1], width: 0.5 },
  steps: summary?.totalSteps ?? null,
  schedule: summary?.schedule ?? null,
  baseLr: summary?.baseLr ?? null,
  weightDecay: summary?.weightDecay ?? null,
  seconds: times.length ? times[times.length - 1] : null,
  machine: '2-core x86_64, tfjs wasm backend (one thread)',
  testTop1Float32: summary?.final?.top1 ?? null,
  testTop1Shipped: r.top1,
  testCount: r.count,
  checkpointBytes: statSync(asset).size,
};
writeFileSync(join(root, 'bench/results/upstream.json'), `${JSON.stringify(upstream, null, 2)}\n`);
console.error(JSON.stringify(upstream, null, 2));
