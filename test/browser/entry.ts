/**
 * Browser entry of the browser tests (bundled by bundle.ts for platform 'browser'). Exposes
 * `window.bitTest`, which the Node side drives through Playwright: load a fixture checkpoint
 * with `loadBiT` (HTTP Range URL or Blob), run `predict` and `features` on a tfjs backend, and
 * return relative L2 errors against the float64 references.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  BlobByteSource,
  classify,
  exportOnnx,
  features,
  getLabels,
  loadBiT,
  openNpz,
  parseNpyHeader,
  predict,
} from '@bit/models';
import { OPTIONAL_BACKENDS } from 'bit-test:optional-backends';
import { importOrtWeb } from './ort-web';

/** How a case loads its checkpoint: HTTP Range requests on a URL, or a Blob. */
export type LoadVia = 'url' | 'blob';

/** Arguments of {@link BitTestApi.runCase}. */
export interface CaseRequest {
  fixture: string;
  backend: string;
  via: LoadVia;
}

/** What one case measured. */
export interface CaseResult {
  backend: string;
  inputShape: number[];
  logitsShape: [number, number];
  featuresShape: [number, number];
  /** Relative L2 error of predict's logits against expected.npz `logits`. */
  logitsError: number;
  /** Relative L2 error of features() against expected.npz `prelogits`. */
  featuresError: number;
  /** Largest |difference| between the logits of the two predict calls. */
  repeatMaxDiff: number;
  /** True when every returned label is null (labels: null). */
  labelsNull: boolean;
  /** tf.memory().numTensors: before loading, after predict #1, #2, features, after dispose. */
  tensors: {
    beforeLoad: number;
    afterPredict1: number;
    afterPredict2: number;
    afterFeatures: number;
    afterDispose: number;
  };
  ms: { load: number; predict: number };
}

/** What the label check measured. */
export interface LabelsResult {
  count: number;
  first: string;
  last: string;
  distinct: number;
}

/** What the Cache Storage case measured. */
export interface CacheResult {
  progressEvents: number;
  lastReceived: number;
  lastTotal: number | null;
  fileSize: number;
  /** Largest |difference| between the logits of the first (network) and second (cache) load. */
  maxDiff: number;
  cached: boolean;
}

/** What the classify case measured. */
export interface ClassifyResult {
  canvas: number[];
  imageData: number[];
  fromPixels: number[];
  scoresDiff: number;
  tensorsLeaked: number;
}

/** What the onnx engine case measured. */
export interface OnnxResult {
  /** Relative L2 of the engine's logits (model loaded from the .npz URL) vs expected.npz. */
  logitsError: number;
  /** The same for the ONNX bytes exported in the page and loaded back. */
  bytesLogitsError: number;
  /** The error `loadBiT(url, { engine: 'onnx' })` gives without an onnxruntime module. */
  missingRuntime: string;
  /** Classes classify() returned through the engine. */
  classified: number;
  engine: string;
}

/** The page's test API. */
export interface BitTestApi {
  /** loadBiT(src, { engine: 'onnx', onnxruntime }) with onnxruntime-web (served from /ort/). */
  onnxCase(fixture: string): Promise<OnnxResult>;
  /** Backends registered in this bundle (cpu, wasm and the optional ones present). */
  backends: string[];
  /** tfjs platform ('browser'), and whether `process` exists in the page. */
  environment(): {
    platform: string;
    hasProcess: boolean;
    userAgent: string;
    webgl2Renderer: string | null;
  };
  /** tfjs WebGL flags once the webgl backend is initialised. */
  webglFlags(): { version: number; float32Render: boolean };
  runCase(request: CaseRequest): Promise<CaseResult>;
  labels(name: string): Promise<LabelsResult>;
  /** Loads a fixture twice with `{ cache: true, onProgress }` (real Cache Storage). */
  cacheCase(fixture: string): Promise<CacheResult>;
  /** classify() on a canvas, its ImageData and tf.browser.fromPixels of it (int32 pixels). */
  classifyCase(fixture: string): Promise<ClassifyResult>;
  /** Flags of the wasm backend once initialised (simd, threads). */
  wasmFlags(): Promise<{ simd: boolean; threads: boolean }>;
  /** Whether `navigator.gpu` gives an adapter (WebGPU usable). */
  webgpuAdapter(): Promise<boolean>;
}

declare global {
  interface Window {
    bitTest: BitTestApi;
    bitTestError?: string;
  }
}

setWasmPaths(`${location.origin}/wasm/`);

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function fetchBlob(url: string): Promise<Blob> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return response.blob();
}

/** Parses a float32 little-endian .npy (the fixtures' input.npy) with @bit/models' header parser. */
function parseNpyFloat32(bytes: Uint8Array, name: string): { shape: number[]; data: Float32Array } {
  const header = parseNpyHeader(bytes);
  if ('code' in header) throw new Error(`${name}: ${header.code}: ${header.detail}`);
  if (header.dtype !== 'float32' || header.bigEndian)
    throw new Error(`${name}: expected <f4, got ${header.descr}`);
  const data = new Float32Array(header.size);
  new Uint8Array(data.buffer).set(
    bytes.subarray(header.headerLength, header.headerLength + header.size * 4),
  );
  return { shape: header.shape, data };
}

/** ||actual - expected|| / ||expected||, accumulated in float64. */
function relativeL2(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) {
    throw new Error(`length mismatch: ${actual.length} values vs ${expected.length} expected`);
  }
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = actual[i] - expected[i];
    diff += d * d;
    norm += expected[i] * expected[i];
  }
  return Math.sqrt(diff) / Math.sqrt(norm);
}

function flatten(rows: ArrayLike<number>[]): Float64Array {
  const width = rows.length > 0 ? rows[0].length : 0;
  const out = new Float64Array(rows.length * width);
  rows.forEach((row, r) => out.set(Array.from(row), r * width));
  return out;
}

async function useBackend(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed`);
  await tf.ready();
  if (tf.getBackend() !== name) throw new Error(`backend is ${tf.getBackend()}, wanted ${name}`);
}

async function runCase({ fixture, backend, via }: CaseRequest): Promise<CaseResult> {
  await useBackend(backend);
  const base = `${location.origin}/fixtures/${fixture}`;
  const input = parseNpyFloat32(await fetchBytes(`${base}/input.npy`), `${fixture}/input.npy`);
  const expectedNpz = await openNpz(
    new BlobByteSource(await fetchBlob(`${base}/expected.npz`), 'expected.npz'),
  );
  const expectedLogits = (await expectedNpz.readRaw('logits')).data;
  const expectedFeatures = (await expectedNpz.readRaw('prelogits')).data;
  await expectedNpz.close();

  const beforeLoad = tf.memory().numTensors;
  let t0 = performance.now();
  const source = via === 'url' ? `${base}/weights.npz` : await fetchBlob(`${base}/weights.npz`);
  const model = await loadBiT(source);
  const load = performance.now() - t0;
  const x = tf.tensor4d(input.data, input.shape as [number, number, number, number]);
  try {
    t0 = performance.now();
    const first = await predict(model, x, { logits: true, labels: null });
    const predictMs = performance.now() - t0;
    const afterPredict1 = tf.memory().numTensors;
    const second = await predict(model, x, { logits: true, labels: null });
    const afterPredict2 = tf.memory().numTensors;
    const feats = await features(model, x);
    const afterFeatures = tf.memory().numTensors;

    const logits1 = flatten(first.map((p) => p.logits ?? []));
    const logits2 = flatten(second.map((p) => p.logits ?? []));
    let repeatMaxDiff = 0;
    for (let i = 0; i < logits1.length; i++)
      repeatMaxDiff = Math.max(repeatMaxDiff, Math.abs(logits1[i] - logits2[i]));
    const featureRows = flatten(feats);
    x.dispose();
    model.dispose();
    return {
      backend: tf.getBackend(),
      inputShape: input.shape,
      logitsShape: [first.length, first[0]?.logits?.length ?? 0],
      featuresShape: [feats.length, feats[0]?.length ?? 0],
      logitsError: relativeL2(logits1, expectedLogits),
      featuresError: relativeL2(featureRows, expectedFeatures),
      repeatMaxDiff,
      labelsNull: first.every((p) => p.top.every((t) => t.label === null)),
      tensors: {
        beforeLoad,
        afterPredict1,
        afterPredict2,
        afterFeatures,
        afterDispose: tf.memory().numTensors,
      },
      ms: { load, predict: predictMs },
    };
  } finally {
    if (!x.isDisposed) x.dispose();
  }
}

async function labels(name: string): Promise<LabelsResult> {
  const names = await getLabels(name);
  return {
    count: names.length,
    first: names[0],
    last: names[names.length - 1],
    distinct: new Set(names).size,
  };
}

async function cacheCase(fixture: string): Promise<CacheResult> {
  await useBackend('cpu');
  const url = `${location.origin}/fixtures/${fixture}/weights.npz`;
  await caches.delete('bit-models');
  const events: { receivedBytes: number; totalBytes: number | null }[] = [];
  const x = tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', 3);
  const first = await loadBiT(url, { cache: true, onProgress: (e) => events.push(e) });
  const a = (await (first.predict(x) as tf.Tensor).data()) as Float32Array;
  first.dispose();
  const second = await loadBiT(url, { cache: true });
  const b = (await (second.predict(x) as tf.Tensor).data()) as Float32Array;
  second.dispose();
  x.dispose();
  const hit = await (await caches.open('bit-models')).match(url);
  let maxDiff = 0;
  a.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - b[i]))));
  return {
    progressEvents: events.length,
    lastReceived: events.at(-1)?.receivedBytes ?? -1,
    lastTotal: events.at(-1)?.totalBytes ?? null,
    fileSize: hit ? (await hit.blob()).size : -1,
    maxDiff,
    cached: hit !== undefined,
  };
}

async function classifyCase(fixture: string): Promise<ClassifyResult> {
  await useBackend('cpu');
  const model = await loadBiT(`${location.origin}/fixtures/${fixture}/weights.npz`);
  const canvas = document.createElement('canvas');
  canvas.width = 40;
  canvas.height = 30;
  const ctx = canvas.getContext('2d')!;
  const gradient = ctx.createLinearGradient(0, 0, 40, 30);
  gradient.addColorStop(0, '#d02010');
  gradient.addColorStop(1, '#10a0e0');
  ctx.fillStyle = gradient;
  ctx.fillRect(0, 0, 40, 30);
  // Inference caches the standardised kernels once: warm up before counting tensors.
  const warm = tf.zeros([1, 32, 32, 3]);
  (model.predict(warm) as tf.Tensor).dispose();
  warm.dispose();
  const before = tf.memory().numTensors;
  const pixels = tf.browser.fromPixels(canvas); // int32, 0-255
  const viaCanvas = await classify(model, canvas, { topK: 3, labels: null, resolution: 32 });
  const viaData = await classify(model, ctx.getImageData(0, 0, 40, 30), {
    topK: 3,
    labels: null,
    resolution: 32,
  });
  const viaPixels = await classify(model, pixels, { topK: 3, labels: null, resolution: 32 });
  pixels.dispose();
  const tensorsLeaked = tf.memory().numTensors - before;
  model.dispose();
  let scoresDiff = 0;
  viaCanvas.forEach((t, i) => {
    scoresDiff = Math.max(scoresDiff, Math.abs(t.score - viaPixels[i].score));
  });
  return {
    canvas: viaCanvas.map((t) => t.index),
    imageData: viaData.map((t) => t.index),
    fromPixels: viaPixels.map((t) => t.index),
    scoresDiff,
    tensorsLeaked,
  };
}

async function onnxCase(fixture: string): Promise<OnnxResult> {
  await useBackend('cpu');
  const ort = await importOrtWeb(); // one thread: this page is not cross-origin isolated
  const base = `${location.origin}/fixtures/${fixture}`;
  let missingRuntime = '';
  try {
    await loadBiT(`${base}/weights.npz`, { engine: 'onnx' });
  } catch (error) {
    missingRuntime = `${(error as Error).name}: ${(error as Error).message}`;
  }
  const input = parseNpyFloat32(await fetchBytes(`${base}/input.npy`), `${fixture}/input.npy`);
  const expectedNpz = await openNpz(
    new BlobByteSource(await fetchBlob(`${base}/expected.npz`), 'expected.npz'),
  );
  const expected = (await expectedNpz.readRaw('logits')).data;
  await expectedNpz.close();
  const shape = input.shape as [number, number, number, number];
  const model = await loadBiT(`${base}/weights.npz`, { engine: 'onnx', onnxruntime: ort });
  const r = await model.run(input.data, shape);
  const canvas = document.createElement('canvas');
  canvas.width = 20;
  canvas.height = 24;
  canvas.getContext('2d')!.fillRect(2, 2, 10, 10);
  const top = await model.classify(canvas, { topK: 3, labels: null, resolution: 32 });
  await model.dispose();
  const tfjsModel = await loadBiT(`${base}/weights.npz`);
  const bytes = await exportOnnx(tfjsModel);
  tfjsModel.dispose();
  const fromBytes = await loadBiT(bytes, { engine: 'onnx', onnxruntime: ort });
  const r2 = await fromBytes.run(input.data, shape);
  await fromBytes.dispose();
  return {
    logitsError: relativeL2(r.data, expected),
    bytesLogitsError: relativeL2(r2.data, expected),
    missingRuntime,
    classified: top.length,
    engine: model.engine,
  };
}

/** The WebGL2 renderer string (e.g. SwiftShader), or null without WebGL2. */
function webgl2Renderer(): string | null {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (gl === null) return null;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

window.bitTest = {
  backends: ['cpu', 'wasm', ...OPTIONAL_BACKENDS],
  environment: () => ({
    platform: tf.env().platformName,
    hasProcess: typeof (globalThis as { process?: unknown }).process !== 'undefined',
    userAgent: navigator.userAgent,
    webgl2Renderer: webgl2Renderer(),
  }),
  webglFlags: () => ({
    version: tf.env().getNumber('WEBGL_VERSION'),
    float32Render: tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED'),
  }),
  runCase,
  onnxCase,
  labels,
  cacheCase,
  classifyCase,
  webgpuAdapter: async () => {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    return gpu !== undefined && (await gpu.requestAdapter()) !== null;
  },
  wasmFlags: async () => ({
    simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
    threads: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
  }),
};
