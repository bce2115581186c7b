/**
 * @bit/models (with @bit/layers) in a real browser: the built ESM bundles for platform 'browser'
 * without Node built-ins, loads the numpy-written fixtures over HTTP Range requests and from a
 * Blob, and reproduces the float64 reference logits and pre-logits on every backend available.
 *
 * Needs Chromium at /usr/bin/chromium (skipped, with a message, when absent) and the packages
 * built (`npm run build`; the root `npm test` does it).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OPTIONAL_BACKENDS,
  REPO_ROOT,
  bundleBrowserTest,
  ortWebDistDir,
  wasmDistDir,
  type BundleResult,
} from './bundle';
import { CHROMIUM, hasChromium, launchChromium, withTimeout } from './chromium';
import { startServer, type TestServer } from './server';
import type { CaseResult, LoadVia } from './entry';

if (!hasChromium) {
  console.warn(
    `browser tests skipped: no Chromium at ${CHROMIUM} (CI installs it; apt-get install chromium)`,
  );
}

const FIXTURES_DIR = join(REPO_ROOT, 'packages/bit-models/test/fixtures');
const FIXTURES = ['bit-tiny', 'bit-odd-f16'] as const;
const SOURCES: LoadVia[] = ['url', 'blob'];

/**
 * Backends to run, with the relative L2 tolerance on logits and pre-logits and the bound on one
 * case. SwiftShader compiles a shader per kernel shape: a first WebGPU predict took 10-16 s on a
 * quiet machine here (WebGL 8 s), several times that under CI's parallel test load.
 */
const BACKENDS = [
  { name: 'cpu', tolerance: 1e-4, caseMs: 60_000, skip: undefined as string | undefined },
  { name: 'wasm', tolerance: 1e-4, caseMs: 60_000, skip: undefined as string | undefined },
  ...OPTIONAL_BACKENDS.map((o) => ({
    name: o.name,
    tolerance: o.tolerance,
    caseMs: o.name === 'webgpu' ? 240_000 : 120_000,
    skip: o.available ? undefined : `${o.pkg} is not installed`,
  })),
];

const PAGE_READY_TIMEOUT_MS = 30_000;
const CLOSE_TIMEOUT_MS = 10_000;

describe.skipIf(!hasChromium)('@bit/models in Chromium', () => {
  let tmp: string | undefined;
  let bundle: BundleResult;
  let server: TestServer | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const measured: string[] = [];

  let webgpuAdapter = false;

  /** Opens the test page (fresh JS state) and waits for its API. */
  async function openPage(): Promise<void> {
    await page.goto(`${server!.origin}/`, { timeout: PAGE_READY_TIMEOUT_MS });
    await page.waitForFunction(
      () => window.bitTest !== undefined || window.bitTestError !== undefined,
      undefined,
      { timeout: PAGE_READY_TIMEOUT_MS },
    );
    const startError = await page.evaluate(() => window.bitTestError);
    if (startError !== undefined) throw new Error(`the test page failed to start: ${startError}`);
  }

  /**
   * Awaits a `page.evaluate` with a bound wait; page errors seen so far go into the failure. A
   * case that times out is still running in the page, and its tensors would be counted by the
   * next case: the page is reloaded before the failure is thrown.
   */
  async function inPage<T>(what: string, evaluation: Promise<T>, ms = 60_000): Promise<T> {
    try {
      return await withTimeout(evaluation, ms, what);
    } catch (error) {
      const extra = pageErrors.length > 0 ? `\npage errors:\n  ${pageErrors.join('\n  ')}` : '';
      if (/no answer within/.test((error as Error).message)) {
        await openPage().catch((e) => console.warn(`reloading the test page: ${String(e)}`));
      }
      throw new Error(`${what} failed in the page: ${(error as Error).message}${extra}`, {
        cause: error,
      });
    }
  }

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'bit-browser-test-'));
    bundle = await bundleBrowserTest(join(tmp, 'bundle'));
    server = await startServer({
      files: { '/': join(REPO_ROOT, 'test/browser/page.html') },
      dirs: {
        '/bundle/': bundle.outdir,
        '/wasm/': wasmDistDir(),
        '/fixtures/': FIXTURES_DIR,
        '/ort/': ortWebDistDir(),
      },
    });
    const webgpu = BACKENDS.some((b) => b.name === 'webgpu' && b.skip === undefined);
    context = await launchChromium(join(tmp, 'profile'), { webgpu });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(PAGE_READY_TIMEOUT_MS);
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`console.error: ${m.text()}`);
    });
    await openPage();
    webgpuAdapter = webgpu && (await page.evaluate(() => window.bitTest.webgpuAdapter()));
    if (webgpu && !webgpuAdapter) {
      console.warn(
        'webgpu cases skipped: Chromium (--enable-unsafe-webgpu) gave no WebGPU adapter',
      );
    }
  }, 120_000);

  afterAll(async () => {
    if (measured.length > 0) console.log(`browser measurements:\n  ${measured.join('\n  ')}`);
    await withTimeout(
      context?.close() ?? Promise.resolve(),
      CLOSE_TIMEOUT_MS,
      'closing Chromium',
    ).catch((e) => console.warn(String(e)));
    await server?.close();
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  }, 30_000);

  it('bundles the built ESM of @bit/models and @bit/layers for the browser, without Node code', async () => {
    // A Node built-in anywhere in the bundle already failed beforeAll (BrowserBundleError).
    expect(bundle.inputs).toContain('packages/bit-models/dist/index.js');
    expect(bundle.inputs).toContain('packages/bit-layers/dist/index.js');
    expect(bundle.inputs.filter((f) => /^packages\/[^/]+\/(src\/|dist\/node\.)/.test(f))).toEqual(
      [],
    );
    // fflate's browser build, not its worker_threads-based Node build.
    expect(bundle.inputs.some((f) => /node_modules\/fflate\/esm\/browser\.js$/.test(f))).toBe(true);
    // The label lists stay chunks of their own.
    expect(bundle.outputs.some((f) => /^chunks\/imagenet1k-/.test(f))).toBe(true);
    expect(bundle.outputs.some((f) => /^chunks\/imagenet21k-/.test(f))).toBe(true);

    const env = await inPage(
      'environment',
      page.evaluate(() => window.bitTest.environment()),
    );
    expect(env.platform).toBe('browser');
    expect(env.hasProcess).toBe(false);
    measured.push(`browser: ${env.userAgent}; WebGL2: ${env.webgl2Renderer ?? 'none'}`);
  });

  for (const backend of BACKENDS) {
    for (const fixture of FIXTURES) {
      for (const via of SOURCES) {
        it(
          `${fixture} on ${backend.name}, loaded from ${via === 'url' ? 'a URL (HTTP Range)' : 'a Blob'}`,
          async (ctx) => {
            if (backend.skip !== undefined) {
              console.warn(`skipped ${backend.name}: ${backend.skip}`);
              ctx.skip(backend.skip);
            }
            if (backend.name === 'webgpu' && !webgpuAdapter) {
              ctx.skip('Chromium (--enable-unsafe-webgpu) gave no WebGPU adapter here');
            }
            const firstRequest = server!.log.length;
            const r: CaseResult = await inPage(
              `${fixture} on ${backend.name} via ${via}`,
              page.evaluate((req) => window.bitTest.runCase(req), {
                fixture,
                backend: backend.name,
                via,
              }),
              backend.caseMs,
            );
            const weightRequests = server!.log
              .slice(firstRequest)
              .filter((q) => q.path === `/fixtures/${fixture}/weights.npz`);
            measured.push(
              `${backend.name.padEnd(6)} ${fixture.padEnd(11)} ${via.padEnd(4)} ` +
                `logits ${r.logitsError.toExponential(2)}  prelogits ${r.featuresError.toExponential(2)}  ` +
                `load ${r.ms.load.toFixed(0)} ms (${weightRequests.length} requests)  ` +
                `predict ${r.ms.predict.toFixed(0)} ms`,
            );

            expect(r.backend).toBe(backend.name);
            expect(r.logitsShape).toEqual([r.inputShape[0], fixture === 'bit-tiny' ? 10 : 5]);
            expect(r.featuresShape).toEqual([r.inputShape[0], 1024]);
            expect(r.logitsError).toBeLessThan(backend.tolerance);
            expect(r.featuresError).toBeLessThan(backend.tolerance);
            expect(r.labelsNull).toBe(true);
            // Repeated calls give the same logits; on WebGPU (SwiftShader) they differ in the last
            // bits (measured 3e-7 on bit-odd-f16: its kernels split reductions per dispatch).
            expect(r.repeatMaxDiff).toBeLessThanOrEqual(backend.name === 'webgpu' ? 1e-6 : 0);
            // No tensor leaks: repeated predict/features calls leave the count unchanged, and
            // disposing the model frees everything it allocated.
            expect(r.tensors.afterPredict2).toBe(r.tensors.afterPredict1);
            expect(r.tensors.afterFeatures).toBe(r.tensors.afterPredict2);
            expect(r.tensors.afterDispose).toBe(r.tensors.beforeLoad);

            if (backend.name === 'webgl') {
              const gl = await inPage(
                'webgl flags',
                page.evaluate(() => window.bitTest.webglFlags()),
              );
              expect(gl.version).toBe(2);
              expect(gl.float32Render).toBe(true);
            }

            if (via === 'url') {
              // HttpRangeByteSource: a size probe and reads of parts, all answered 206.
              expect(weightRequests.length).toBeGreaterThan(1);
              expect(weightRequests.every((q) => q.range !== null && q.status === 206)).toBe(true);
            } else {
              expect(weightRequests.map((q) => [q.range, q.status])).toEqual([[null, 200]]);
            }
          },
          backend.caseMs + 30_000,
        );
      }
    }
  }

  it("loadBiT(src, { engine: 'onnx', onnxruntime }) runs in onnxruntime-web; without it, a typed error", async () => {
    const r = await inPage(
      'onnx engine case',
      page.evaluate((f) => window.bitTest.onnxCase(f), 'bit-tiny'),
      120_000,
    );
    measured.push(
      `onnx (onnxruntime-web wasm) bit-tiny logits ${r.logitsError.toExponential(2)}, from page-exported bytes ${r.bytesLogitsError.toExponential(2)}`,
    );
    expect(r.engine).toBe('onnx');
    expect(r.logitsError).toBeLessThan(1e-4);
    expect(r.bytesLogitsError).toBeLessThan(1e-4);
    expect(r.classified).toBe(3);
    expect(r.missingRuntime).toMatch(
      /^OnnxRuntimeMissingError: .*onnxruntime-web.*onnxruntime: ort/,
    );
  });

  it('uses the wasm backend as built (SIMD where the browser has it)', async () => {
    const flags = await inPage(
      'wasm flags',
      page.evaluate(() => window.bitTest.wasmFlags()),
    );
    measured.push(`wasm: simd ${flags.simd}, threads ${flags.threads}`);
    expect(typeof flags.simd).toBe('boolean');
    const wasmFiles = server!.log
      .filter((q) => q.path.startsWith('/wasm/'))
      .map((q) => `${q.path} ${q.status}`);
    expect(wasmFiles.length).toBeGreaterThan(0);
    expect(wasmFiles.every((line) => line.endsWith(' 200'))).toBe(true);
  });

  it('loadBiT(url, { cache: true, onProgress }) downloads once into Cache Storage', async () => {
    const path = '/fixtures/bit-tiny/weights.npz';
    const firstRequest = server!.log.length;
    const r = await inPage(
      'cache case',
      page.evaluate((f) => window.bitTest.cacheCase(f), 'bit-tiny'),
    );
    const requests = server!.log.slice(firstRequest).filter((q) => q.path === path);
    // One full GET (into Cache Storage) for two loads; progress ends at the file's size.
    expect(requests.map((q) => q.status)).toEqual([200]);
    expect(r.cached).toBe(true);
    expect(r.progressEvents).toBeGreaterThan(1);
    expect(r.lastReceived).toBe(r.fileSize);
    expect(r.lastTotal).toBe(r.fileSize);
    expect(r.maxDiff).toBe(0);
  });

  it('classify takes a canvas, its ImageData and fromPixels int32 tensors alike', async () => {
    const r = await inPage(
      'classify case',
      page.evaluate((f) => window.bitTest.classifyCase(f), 'bit-tiny'),
    );
    expect(r.imageData).toEqual(r.canvas);
    expect(r.fromPixels).toEqual(r.canvas);
    // Same pixels; the decoded path resizes in float64 JS, the tensor path with tf.image.
    expect(r.scoresDiff).toBeLessThan(1e-4);
    expect(r.tensorsLeaked).toBe(0);
  });

  it("loads the ImageNet-1k labels' chunk on demand", async () => {
    const isChunk = (name: string) => (q: { path: string }) =>
      q.path.startsWith(`/bundle/chunks/${name}-`);
    expect(server!.log.some(isChunk('imagenet1k'))).toBe(false);
    const labels = await inPage(
      'getLabels',
      page.evaluate((name) => window.bitTest.labels(name), 'imagenet1k'),
    );
    expect(labels.count).toBe(1000);
    expect(labels.first).toBe('tench');
    expect(labels.last).toBe('toilet tissue');
    expect(server!.log.filter(isChunk('imagenet1k')).map((q) => q.status)).toEqual([200]);
    // The 21k list (~0.5 MB) is not fetched for the 1k one.
    expect(server!.log.some(isChunk('imagenet21k'))).toBe(false);
  });
});
