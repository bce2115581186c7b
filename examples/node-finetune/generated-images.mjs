#!/usr/bin/env node
/**
 * The demo's fallback when Fashion-MNIST is not installed: generates an image folder (3 classes,
 * train/val), fine-tunes the embedded model with the BiT-HyperRule through the `bit` CLI (scaled
 * to 40 steps, 32 px, batch 16), evaluates, and predicts a held-out image.
 *   node examples/node-finetune/generated-images.mjs [--out DIR]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';

const require = createRequire(import.meta.url);
const bitBin = require.resolve('@bit/cli/package.json').replace(/package\.json$/, 'dist/cli.js');
const outArg = process.argv.indexOf('--out');
const work = outArg > 0 ? process.argv[outArg + 1] : join(tmpdir(), `bit-demo-${process.pid}`);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

// 1. The embedded model (shipped inside @bit/models): fine-tuned with a new head below.
const checkpoint = 'BiT-FMNIST-R14x0.5';

// 2. A generated image folder: red, green and blue-dominant 40x40 images with noise and a shape.
let seed = 7;
const rand = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
const classes = { red: [200, 40, 40], green: [40, 180, 60], blue: [40, 60, 200] };
function writeImage(path, [r, g, b]) {
  const png = new PNG({ width: 40, height: 40 });
  const cx = 8 + rand() * 24;
  const cy = 8 + rand() * 24;
  for (let y = 0; y < 40; y++) {
    for (let x = 0; x < 40; x++) {
      const i = (y * 40 + x) * 4;
      const inside = (x - cx) ** 2 + (y - cy) ** 2 < 64;
      const k = inside ? 0.6 : 1;
      png.data[i] = Math.min(255, Math.max(0, r * k + (rand() - 0.5) * 80));
      png.data[i + 1] = Math.min(255, Math.max(0, g * k + (rand() - 0.5) * 80));
      png.data[i + 2] = Math.min(255, Math.max(0, b * k + (rand() - 0.5) * 80));
      png.data[i + 3] = 255;
    }
  }
  writeFileSync(path, PNG.sync.write(png));
}
for (const split of ['train', 'val']) {
  for (const [name, rgb] of Object.entries(classes)) {
    mkdirSync(join(work, split, name), { recursive: true });
    for (let i = 0; i < (split === 'train' ? 24 : 8); i++)
      writeImage(join(work, split, name, `${i}.png`), rgb);
  }
}
console.error(`generated ${work}/train and ${work}/val (3 classes)`);

// 3. Fine-tune, evaluate, predict, through the CLI.
const bit = (...args) =>
  execFileSync(process.execPath, [bitBin, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
const run = join(work, 'run');
bit(
  'finetune',
  '--model',
  checkpoint,
  '--train',
  join(work, 'train'),
  '--val',
  join(work, 'val'),
  '--out',
  run,
  '--batch',
  '16',
  '--steps',
  '40',
  '--resolution',
  '32',
  '--seed',
  '1',
);
const evaluation = JSON.parse(bit('eval', '--model', run, '--data', join(work, 'val'), '--json'));
console.log(
  `eval on held-out images: top-1 ${(100 * evaluation.top1).toFixed(1)}%, loss ${evaluation.loss.toFixed(3)}`,
);
const image = join(work, 'val', 'blue', '0.png');
const prediction = JSON.parse(bit('predict', image, '--model', run, '--top', '1', '--json'));
console.log(
  `predict ${image}: ${prediction.predictions[0].top[0].label} (${prediction.predictions[0].top[0].score.toFixed(3)})`,
);
console.log(`run folder: ${run}`);
