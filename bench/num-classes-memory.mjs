#!/usr/bin/env node
/**
 * Benchmark: tensor memory of `loadBiT(src, { numClasses: 3 })` on a checkpoint with a large
 * head, against the previous behaviour (load everything, then a new head on the same backbone:
 * the old head stayed in tensor memory), and `replaceHead` after a full load (which now disposes
 * the old head).
 *   npm run build && node bench/num-classes-memory.mjs [--arch R50x1] [--classes 21843]
 * Writes an .npz in the official layout (random float32 weights), measures
 * `tf.memory().numBytes` on the cpu backend, prints a markdown row.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';

const args = process.argv.slice(2);
const opt = (name, fallback) =>
  args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback;
const archName = opt('arch', 'R50x1');
const classes = Number(opt('classes', '21843'));

await tf.setBackend('cpu');
const { checkpointLayout, headLayer, loadBiT, parseArchitectureName, replaceHead, writeNpzFile } =
  await import('@bit/models/node');

const dir = mkdtempSync(join(tmpdir(), 'bit-bench-head-'));
const file = join(dir, `${archName}-${classes}.npz`);
const MiB = (b) => (b / 2 ** 20).toFixed(1);
try {
  const arch = parseArchitectureName(archName, classes);
  let seed = 1;
  let headBytes = 0;
  function* arrays() {
    for (const e of checkpointLayout(arch)) {
      const n = e.shape.reduce((a, b) => a * b, 1);
      if (e.name.startsWith('resnet/head/')) headBytes += n * 4;
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        seed = (seed * 1664525 + 1013904223) >>> 0;
        data[i] = (seed / 2 ** 32 - 0.5) * 0.1;
      }
      yield { name: e.name, shape: e.shape, data };
    }
  }
  await writeNpzFile(file, arrays());

  const base = tf.memory().numBytes;
  // Before: the whole checkpoint in tensors, then a new head on the same backbone (the old
  // replaceHead built the new model and left the old head's variables alive).
  let t0 = performance.now();
  const full = await loadBiT(file);
  const prelogits = full.getLayer('resnet/prelogits').output;
  const before = tfl.model({ inputs: full.inputs, outputs: headLayer(3).apply(prelogits) });
  const beforeBytes = tf.memory().numBytes - base;
  const beforeSeconds = (performance.now() - t0) / 1000;
  // replaceHead now disposes the head it replaces.
  const swapped = replaceHead(full, 3);
  const replacedBytes = tf.memory().numBytes - base;
  swapped.dispose();
  before.layers.at(-1).dispose();
  // After: loadBiT with { numClasses } never reads the old head.
  t0 = performance.now();
  const after = await loadBiT(file, { numClasses: 3 });
  const afterBytes = tf.memory().numBytes - base;
  const afterSeconds = (performance.now() - t0) / 1000;
  after.dispose();
  const row = [
    `${archName}, ${classes}-class head`,
    `${MiB(statSync(file).size)} MiB`,
    `${MiB(headBytes)} MiB`,
    `${MiB(beforeBytes)} MiB (${beforeSeconds.toFixed(1)} s)`,
    `${MiB(replacedBytes)} MiB`,
    `${MiB(afterBytes)} MiB (${afterSeconds.toFixed(1)} s)`,
    `${MiB(beforeBytes - afterBytes)} MiB`,
  ];
  console.log(`| ${row.join(' | ')} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
