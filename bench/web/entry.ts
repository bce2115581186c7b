/**
 * Browser side of `npm run bench:web`: images/s of inference, head-only and full training for a
 * BiT model on a tfjs backend, in this page. Weights are He-initialised (speed does not depend
 * on their values); the embedded model's architecture is R14x0.5 at 32 px, R50x1 runs at 128 px.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { fromArrays } from '@bit/data';
import { buildResNetV2, exportOnnx, type BiTArchitecture } from '@bit/models';
import { fineTune, heInitialize } from '@bit/train';
import { OPTIONAL_BACKENDS } from 'bit-test:optional-backends';
import { importOrtWeb } from '../../test/browser/ort-web';

/** The pseudo-backend that runs the ONNX export in onnxruntime-web (wasm SIMD + threads). */
export const ORT_WEB = 'onnxruntime-web';

export interface BenchCase {
  backend: string;
  model: 'embedded' | 'R50x1';
  task: 'inference' | 'head' | 'full';
}

export interface BenchResult extends BenchCase {
  resolution: number;
  batch: number;
  /** Images per second over the timed part (after one warm-up call or step). */
  imagesPerSecond: number;
  /** Seconds of the warm-up (first call or step: shader compilation on WebGL/WebGPU). */
  warmupSeconds: number;
  timed: number;
  threads?: boolean;
}

const ARCH: Record<
  BenchCase['model'],
  { arch: BiTArchitecture; resolution: number; batch: number }
> = {
  embedded: { arch: { units: [1, 1, 1, 1], width: 0.5, numClasses: 5 }, resolution: 32, batch: 32 },
  R50x1: { arch: { units: [3, 4, 6, 3], width: 1, numClasses: 5 }, resolution: 128, batch: 8 },
};

declare global {
  interface Window {
    bitBench: {
      backends: string[];
      run(c: BenchCase, budgetSeconds: number): Promise<BenchResult>;
      env(): Promise<{
        userAgent: string;
        isolated: boolean;
        renderer: string | null;
        webgpu: boolean;
      }>;
    };
    bitTestError?: string;
  }
}

setWasmPaths(`${location.origin}/wasm/`);

/** Times `once` (`batch` images a call) after one warm-up call, for the budget (at least 1). */
async function timeCalls(once: () => Promise<void>, batch: number, budgetSeconds: number) {
  let t0 = performance.now();
  await once();
  const warmupSeconds = (performance.now() - t0) / 1000;
  let timed = 0;
  t0 = performance.now();
  while (timed < 3 || (performance.now() - t0) / 1000 < Math.min(budgetSeconds, 10)) {
    await once();
    timed++;
    if ((performance.now() - t0) / 1000 > budgetSeconds) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { imagesPerSecond: (timed * batch) / seconds, warmupSeconds, timed };
}

/**
 * Inference in onnxruntime-web's wasm backend (SIMD, threads when cross-origin isolated): the
 * He-initialised model exported with `exportOnnx` in this page, run on a random NHWC batch.
 * onnxruntime-web is loaded from /ort/ (served from its dist/, not bundled).
 */
async function runOrt(c: BenchCase, budgetSeconds: number): Promise<BenchResult> {
  if (c.task !== 'inference') throw new Error('onnxruntime-web: inference only');
  const ort = await importOrtWeb();
  await tf.setBackend('cpu');
  const { arch, resolution, batch } = ARCH[c.model];
  const model = buildResNetV2(arch);
  heInitialize(model, 0);
  const bytes = await exportOnnx(model);
  model.dispose();
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const data = new Float32Array(batch * resolution * resolution * 3).map(() => Math.random());
  const input = new ort.Tensor('float32', data, [batch, resolution, resolution, 3]);
  try {
    const timing = await timeCalls(
      async () => {
        await session.run({ image: input });
      },
      batch,
      budgetSeconds,
    );
    return { ...c, resolution, batch, ...timing, threads: ort.env.wasm.numThreads! > 1 };
  } finally {
    await session.release();
  }
}

async function run(c: BenchCase, budgetSeconds: number): Promise<BenchResult> {
  if (c.backend === ORT_WEB) return runOrt(c, budgetSeconds);
  if (!(await tf.setBackend(c.backend))) throw new Error(`tf.setBackend('${c.backend}') failed`);
  await tf.ready();
  const { arch, resolution, batch } = ARCH[c.model];
  const model = buildResNetV2(arch);
  heInitialize(model, 0);
  const base = { ...c, resolution, batch };
  const threads =
    c.backend === 'wasm'
      ? Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'))
      : undefined;
  try {
    if (c.task === 'inference') {
      const x = tf.randomUniform([batch, resolution, resolution, 3]);
      const once = async () => {
        const y = model.predict(x) as tf.Tensor;
        await y.data();
        y.dispose();
      };
      const timing = await timeCalls(once, batch, budgetSeconds);
      x.dispose();
      return { ...base, ...timing, threads };
    }
    const n = batch * 2;
    const images = new Uint8Array(n * resolution * resolution * 3).map(() =>
      Math.floor(Math.random() * 256),
    );
    const train = fromArrays({
      images,
      shape: [n, resolution, resolution, 3],
      labels: Array.from({ length: n }, (_, i) => i % 5),
      classes: ['a', 'b', 'c', 'd', 'e'],
    });
    const controller = new AbortController();
    const steps: number[] = [];
    const started = performance.now();
    let last = started;
    const result = await fineTune({
      model,
      train,
      steps: 5,
      batchSize: batch,
      resolution: { precrop: resolution, crop: resolution },
      headOnly: c.task === 'head',
      signal: controller.signal,
      callbacks: {
        onStepEnd: () => {
          const now = performance.now();
          steps.push((now - last) / 1000);
          last = now;
          // At least one timed step after the warm-up; stop early when over budget.
          if (steps.length >= 2 && (now - started) / 1000 > budgetSeconds) controller.abort();
        },
      },
    });
    if (result.model !== model) result.model.dispose();
    const timedSteps = steps.slice(1);
    const seconds = timedSteps.reduce((a, b) => a + b, 0);
    return {
      ...base,
      imagesPerSecond: (timedSteps.length * batch) / seconds,
      warmupSeconds: steps[0],
      timed: timedSteps.length,
      threads,
    };
  } finally {
    model.dispose();
  }
}

window.bitBench = {
  backends: ['cpu', 'wasm', ...OPTIONAL_BACKENDS, ORT_WEB],
  run,
  async env() {
    const gl = document.createElement('canvas').getContext('webgl2');
    const info = gl?.getExtension('WEBGL_debug_renderer_info');
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    return {
      userAgent: navigator.userAgent,
      isolated: crossOriginIsolated,
      renderer: gl
        ? String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER))
        : null,
      webgpu: gpu !== undefined && (await gpu.requestAdapter()) !== null,
    };
  },
};
