#!/usr/bin/env node
/**
 * Benchmark: training-mode GroupNorm + Weight Standardisation of @bit/layers.
 *   node bench/layers-train.mjs [--backend wasm|cpu] [--arch R50x1] [--size 64] [--batch 2]
 *                               [--reps 3] [--impl both|old|new] [--profile] [--threads N]
 * Builds a BiT ResNetV2 (random weights, 10 classes) with the BUILT @bit/models / @bit/layers
 * and times, per implementation:
 *   step     tf.variableGrads of the softmax cross-entropy of model.apply(x, {training: true})
 *   forward  model.apply(x, {training: true}) without a tape (kernels standardised in the graph)
 *   predict  model.predict(x) (inference path: kernels standardised once, cached)
 * `old` is the previous implementation (centred two-pass statistics from tf.sum over blocks,
 * copied below as the baseline and patched onto the layers' prototypes); `new` is the package
 * as built. Both run in this one process, alternating, on the same model and input. With
 * --profile, prints the top kernels of one step (tf.profile) for each implementation. With
 * --cpu-reference (wasm only), also computes the logits and gradients with the baseline on the
 * cpu backend (whose reductions add in float64) and reports how far each wasm result is off.
 * Build first: `cd packages/bit-layers && npx tsup` (and @bit/models, @bit/train).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, fallback) =>
  args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback;
const backendName = opt('backend', 'wasm');
const archName = opt('arch', 'R50x1');
const size = Number(opt('size', '64'));
const batch = Number(opt('batch', '2'));
const reps = Number(opt('reps', '3'));
const impls = opt('impl', 'both') === 'both' ? ['old', 'new'] : [opt('impl', 'both')];
const profile = args.includes('--profile');
const cpuReference = args.includes('--cpu-reference');

const tf = await import('@tensorflow/tfjs-core');
if (backendName === 'wasm') {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (args.includes('--threads')) wasm.setThreadsCount(Number(opt('threads', '1')));
  (await loadTrainingKernels()).registerWasmTrainingKernels();
} else {
  await import('@tensorflow/tfjs-backend-cpu');
}
if (!(await tf.setBackend(backendName))) throw new Error(`backend ${backendName} unavailable`);
await tf.ready();
const { GroupNormalization, StandardizedConv2D } = await import('@bit/layers');
const { buildResNetV2, parseArchitectureName } = await import('@bit/models');

/** `registerWasmTrainingKernels` from the built @bit/layers/kernels, or bundled from its source. */
async function loadTrainingKernels() {
  try {
    return await import('@bit/layers/kernels');
  } catch {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    const { build } = await import('esbuild');
    const dir = mkdtempSync(join(tmpdir(), 'bit-bench-kernels-'));
    const outfile = join(dir, 'register.mjs');
    await build({
      entryPoints: [join(root, 'packages/bit-layers/src/kernels/index.ts')],
      bundle: true,
      format: 'esm',
      platform: 'node',
      external: ['@tensorflow/*'],
      outfile,
      logLevel: 'error',
    });
    const mod = await import(pathToFileURL(outfile).href);
    rmSync(dir, { recursive: true, force: true });
    return mod;
  }
}

// ---------------------------------------------------------------------------------------------
// Baseline: the previous ops (packages/bit-layers/src/ops before this change), verbatim in JS.
// ---------------------------------------------------------------------------------------------
const OLD_BLOCKING_THRESHOLD = 256;

function oldNearDivisor(n, target) {
  let best;
  for (
    let d = Math.max(1, Math.floor(target / 1.5));
    d <= Math.min(n, Math.ceil(target * 1.5));
    d++
  ) {
    if (n % d === 0 && (best === undefined || Math.abs(d - target) < Math.abs(best - target)))
      best = d;
  }
  return best;
}

function oldBlockedMean(x, axes) {
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  if (count <= OLD_BLOCKING_THRESHOLD || axes.length === 0) return tf.mean(x, axes, true);
  return tf.tidy(() => {
    const split = axes.reduce((best, a) => (x.shape[a] > x.shape[best] ? a : best), axes[0]);
    const length = x.shape[split];
    const others = count / length;
    const target = Math.max(1, Math.min(length, Math.round(Math.sqrt(count) / others)));
    const blockSize = oldNearDivisor(length, target) ?? target;
    const blocks = Math.ceil(length / blockSize);
    const padded =
      blocks * blockSize > length
        ? tf.pad(
            x,
            x.shape.map((_, i) => (i === split ? [0, blocks * blockSize - length] : [0, 0])),
          )
        : x;
    const splitShape = [...x.shape.slice(0, split), blocks, blockSize, ...x.shape.slice(split + 1)];
    const inner = axes.map((a) => (a < split ? a : a + 1));
    const blockSums = tf.sum(tf.reshape(padded, splitShape), inner, true);
    const total = tf.sum(blockSums, split, true);
    const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    return tf.div(tf.reshape(total, keptShape), count);
  });
}

function oldCenteredStatistics(x, axes) {
  return tf.tidy(() => {
    const first = oldBlockedMean(x, axes);
    const correction = oldBlockedMean(tf.sub(x, first), axes);
    const mean = tf.add(first, correction);
    const centered = tf.sub(x, mean);
    const variance = oldBlockedMean(tf.square(centered), axes);
    return { mean, variance, centered };
  });
}

function oldGroupNorm(x, gamma, beta, groups, eps) {
  return tf.tidy(() => {
    const channels = x.shape[x.rank - 1];
    const spatial = x.shape.slice(1, -1).reduce((a, b) => a * b, 1);
    const grouped = tf.reshape(x, [x.shape[0], spatial, groups, channels / groups]);
    const { variance, centered } = oldCenteredStatistics(grouped, [1, 3]);
    let y = tf.reshape(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), x.shape);
    if (gamma != null) y = tf.mul(y, gamma);
    if (beta != null) y = tf.add(y, beta);
    return y;
  });
}

function oldStandardizeKernel(kernel, eps) {
  return tf.tidy(() => {
    const { variance, centered } = oldCenteredStatistics(
      kernel,
      kernel.rank === 4 ? [0, 1, 2] : [0],
    );
    return tf.mul(centered, tf.rsqrt(tf.add(variance, eps)));
  });
}

/** The layers' call() as it was, using the baseline ops. */
function oldGroupNormCall(inputs) {
  return tf.tidy(() => {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return oldGroupNorm(
      x,
      this.gamma?.read() ?? null,
      this.beta?.read() ?? null,
      this.groups,
      this.epsilon,
    );
  });
}

function oldConvCall(inputs, kwargs) {
  return tf.tidy(() => {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const kernel = this.usesInferencePath(kwargs)
      ? this.cachedKernel()
      : oldStandardizeKernel(this.kernel.read(), this.eps);
    if (tf.engine().state.gradientDepth > 0) {
      const y = tf.conv2d(x, kernel, this.strides, this.padding, 'NHWC', this.dilationRate);
      return this.bias == null ? y : tf.add(y, this.bias.read());
    }
    return tf.fused.conv2d({
      x,
      filter: kernel,
      strides: this.strides,
      pad: this.padding,
      dataFormat: 'NHWC',
      dilations: this.dilationRate,
      bias: this.bias?.read(),
    });
  });
}

const newCalls = { gn: GroupNormalization.prototype.call, conv: StandardizedConv2D.prototype.call };
function useImpl(name) {
  GroupNormalization.prototype.call = name === 'old' ? oldGroupNormCall : newCalls.gn;
  StandardizedConv2D.prototype.call = name === 'old' ? oldConvCall : newCalls.conv;
}

// ---------------------------------------------------------------------------------------------
const arch = parseArchitectureName(archName, 10);
const model = buildResNetV2(arch, { inputSize: [size, size] });
let seed = 7;
const rand = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
const x = tf.tensor4d(Float32Array.from({ length: batch * size * size * 3 }, rand), [
  batch,
  size,
  size,
  3,
]);
const labels = tf.oneHot(
  tf.tensor1d(
    Array.from({ length: batch }, (_, i) => i % 10),
    'int32',
  ),
  10,
);
const weights = model.trainableWeights.map((w) => w.read());
// BiT's head starts at zero (logits 0); give it random weights so the outputs compare.
const head = model.trainableWeights.find((w) => w.name.includes('head') && w.shape.length >= 2);
if (head) head.write(tf.mul(tf.randomNormal(head.shape, 0, 1, 'float32', 3), 0.05));

const tasks = {
  step: () => {
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true })),
      weights,
    );
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  },
  forward: () => {
    const y = tf.tidy(() => model.apply(x, { training: true }));
    y.dataSync();
    y.dispose();
  },
  predict: () => {
    const y = model.predict(x);
    y.dataSync();
    y.dispose();
  },
};

/** Median wall time of `reps` runs after one warm-up. */
function time(fn) {
  fn();
  const times = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Training-mode logits and all weight gradients (flattened) of the current implementation. */
function logitsAndGradients() {
  const logits = tf.tidy(() => model.apply(x, { training: true })).dataSync();
  const { value, grads } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true })),
    weights,
  );
  const flat = tf
    .tidy(() => tf.concat(Object.values(grads).map((g) => tf.reshape(g, [-1]))))
    .dataSync();
  tf.dispose([value, ...Object.values(grads)]);
  return { logits, grads: flat };
}

/** Relative L2 distance of `a` from `b`, formatted. */
function relL2(a, b) {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den).toExponential(2);
}

/** Logits and gradients of each implementation (same model, same input), to compare. */
const computed = {};
const results = {};
for (const impl of impls) {
  useImpl(impl);
  computed[impl] = logitsAndGradients();
  results[impl] = {};
}
for (const task of Object.keys(tasks)) {
  for (const impl of impls) {
    useImpl(impl);
    results[impl][task] = time(tasks[task]);
  }
}
const before = tf.memory().numTensors;
for (const impl of impls) {
  useImpl(impl);
  tasks.step();
}
const leaked = tf.memory().numTensors - before;

const label = `${archName} ${size}px batch ${batch} on ${backendName}`;
console.log(`\n${label} (median of ${reps}, ms)\n`);
console.log('| implementation | step (grads) | train forward | predict |');
console.log('| --- | ---: | ---: | ---: |');
for (const impl of impls) {
  const r = results[impl];
  const name = impl === 'old' ? 'before (tf.sum, blocked)' : 'after (@bit/layers as built)';
  console.log(
    `| ${name} | ${r.step.toFixed(0)} | ${r.forward.toFixed(0)} | ${r.predict.toFixed(0)} |`,
  );
}
if (impls.length === 2) {
  const speed = (t) => (results.old[t] / results.new[t]).toFixed(2);
  console.log(`| speed-up | ${speed('step')}x | ${speed('forward')}x | ${speed('predict')}x |`);
  console.log(
    `\nrel. L2 difference new vs old: training-mode logits ` +
      `${relL2(computed.new.logits, computed.old.logits)}, all weight gradients ` +
      `${relL2(computed.new.grads, computed.old.grads)}`,
  );
}
console.log(`tensors leaked per step: ${leaked}`);

if (profile) {
  for (const impl of impls) {
    useImpl(impl);
    const info = await tf.profile(() => tasks.step());
    const byName = new Map();
    for (const k of info.kernels) {
      const e = byName.get(k.name) ?? { ms: 0, n: 0 };
      e.ms += await k.kernelTimeMs;
      e.n += 1;
      byName.set(k.name, e);
    }
    const total = [...byName.values()].reduce((s, e) => s + e.ms, 0);
    console.log(`\nprofile of one step, ${impl}: ${total.toFixed(0)} ms in kernels`);
    for (const [name, e] of [...byName].sort((p, q) => q[1].ms - p[1].ms).slice(0, 12)) {
      console.log(
        `  ${name.padEnd(28)} ${e.ms.toFixed(0).padStart(7)} ms  ${String(e.n).padStart(5)} calls`,
      );
    }
  }
}
if (cpuReference && backendName === 'wasm') {
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  useImpl('old');
  const ref = logitsAndGradients();
  console.log('\nrel. L2 error against the baseline on cpu (float64 sums):');
  for (const impl of impls) {
    console.log(
      `  ${impl} on wasm: training-mode logits ${relL2(computed[impl].logits, ref.logits)}, ` +
        `all weight gradients ${relL2(computed[impl].grads, ref.grads)}`,
    );
  }
}
tf.dispose([x, labels]);
