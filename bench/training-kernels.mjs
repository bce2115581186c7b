#!/usr/bin/env node
/**
 * Benchmark: the training kernels of @bit/layers against what they replace, in one process,
 * alternating, same model and input. One training step = `tf.variableGrads` of the softmax
 * cross-entropy of `model.apply(x, { training: true })`.
 *   node bench/training-kernels.mjs [--backend wasm|cpu] [--arch R50x1] [--size 128] [--batch 4] [--reps 3]
 * wasm: native `Conv2DBackpropInput` (a scalar loop) vs ours (phase convolutions, or one
 * product and a scatter where the filter has more rows K than there are positions P), each with
 * the native `Conv2D` and with ours (one product where K >= P). The filter gradient is always
 * ours (the backend has none).
 * cpu: native `Conv2DBackpropFilter` vs ours, and the fused GroupNorm kernels vs the composed
 * ops (unregistered). Prints a markdown table.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerCpuTrainingKernels, registerWasmTrainingKernels } from '@bit/layers/kernels';
import { buildResNetV2, parseArchitectureName } from '@bit/models';

const args = process.argv.slice(2);
const opt = (name, d) => (args.includes(name) ? args[args.indexOf(name) + 1] : d);
const backend = opt('--backend', 'wasm');
const arch = opt('--arch', backend === 'cpu' ? 'R50x0.5' : 'R50x1');
const size = Number(opt('--size', backend === 'cpu' ? '32' : '128'));
const batch = Number(opt('--batch', backend === 'cpu' ? '2' : '4'));
const reps = Number(opt('--reps', '3'));

const native = (name) => tf.getKernel(name, backend);
const variants = [];
if (backend === 'wasm') {
  const nativeDx = native('Conv2DBackpropInput');
  const nativeConv = native('Conv2D');
  registerWasmTrainingKernels();
  const oursDx = native('Conv2DBackpropInput');
  const oursConv = native('Conv2D');
  variants.push(
    { name: 'native Conv2DBackpropInput, native Conv2D', kernels: [nativeDx, nativeConv] },
    {
      name: 'ours Conv2DBackpropInput (phases; gemm where K >= P), native Conv2D',
      kernels: [oursDx, nativeConv],
    },
    {
      name: 'ours Conv2DBackpropInput, ours Conv2D (gemm where K >= P)',
      kernels: [oursDx, oursConv],
    },
  );
} else {
  const nativeDw = native('Conv2DBackpropFilter');
  registerCpuTrainingKernels();
  const oursDw = native('Conv2DBackpropFilter');
  variants.push(
    {
      name: 'native Conv2DBackpropFilter, composed GroupNorm',
      kernels: [nativeDw],
      fusedNorm: false,
    },
    { name: 'ours Conv2DBackpropFilter, composed GroupNorm', kernels: [oursDw], fusedNorm: false },
    { name: 'ours Conv2DBackpropFilter, fused GroupNorm', kernels: [oursDw], fusedNorm: true },
  );
}
await tf.setBackend(backend);
await tf.ready();

const model = buildResNetV2(parseArchitectureName(arch, 10));
const x = tf.randomUniform([batch, size, size, 3]);
const labels = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32'), 10);
const weights = model.trainableWeights.map((w) => w.read());
// Warm up once (registers the fused GroupNorm kernels on first use).
const step = () => {
  const t0 = performance.now();
  const { value, grads } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true })),
    weights,
  );
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
  return performance.now() - t0;
};
step();
const fusedNames = ['BitGroupNorm', 'BitGroupNormGrad'];
const fused = fusedNames.map((n) => tf.getKernel(n, backend)).filter(Boolean);

function use(v) {
  for (const k of v.kernels) {
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel(k);
  }
  for (const k of fused) {
    if (tf.getKernel(k.kernelName, backend)) tf.unregisterKernel(k.kernelName, backend);
    if (v.fusedNorm !== false) tf.registerKernel(k);
  }
}

const times = variants.map(() => []);
for (let r = 0; r < reps; r++) {
  variants.forEach((v, i) => {
    use(v);
    step(); // the first step after a switch pays XNNPACK set-up
    times[i].push(step());
  });
}
const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
console.log(`| backend, case | implementation | step (median of ${reps}) | speed-up |`);
console.log('| --- | --- | ---: | ---: |');
const base = median(times[0]);
variants.forEach((v, i) => {
  const m = median(times[i]);
  console.log(
    `| ${i === 0 ? `${backend}, ${arch} ${size} px batch ${batch}` : ''} | ${v.name} | ${m.toFixed(0)} ms | ${(base / m).toFixed(2)}x |`,
  );
});
