/**
 * @bit/train in a real browser: the built ESM of @bit/train (+ data, hyperrule, models, layers)
 * bundled for platform 'browser' fine-tunes the smallest BiT in Chromium, full and head-only, on
 * WebGL, wasm and (where Chromium gives an adapter) WebGPU. The loss falls, the run leaks no
 * tensors, and the first steps match Node's (cpu backend, same seed, same code) within the
 * tolerances below.
 *
 * Needs Chromium at /usr/bin/chromium (skipped, with a message, when absent) and the packages
 * built (`npm run build`; the root `npm test` does it).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../test-utils/backends';
import { REPO_ROOT, bundleBrowserTest, wasmDistDir } from './bundle';
import { CHROMIUM, hasChromium, launchChromium, withTimeout } from './chromium';
import { startServer, type TestServer } from './server';
import { runTrainCase, type TrainCase, type TrainCaseResult } from './train-fixture';

if (!hasChromium) {
  console.warn(
    `browser training tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`,
  );
}

/** Steps compared with Node's, and the largest relative difference of their losses. */
const COMPARED_STEPS = 3;
// Measured here (SwiftShader WebGL/WebGPU, wasm SIMD): 2e-7 (full) to 2e-5 (head) against Node's cpu.
const TOLERANCE: Record<string, number> = { wasm: 1e-4, webgl: 1e-4, webgpu: 1e-4 };

/** SwiftShader compiles a shader per kernel shape: the first WebGL/WebGPU steps are slow here. */
const CASE_TIMEOUT_MS = 400_000;

const CASES: TrainCase[] = [
  { mode: 'full', steps: 5, seed: 3 },
  { mode: 'head', steps: 5, seed: 3 },
];

describe.skipIf(!hasChromium)('@bit/train in Chromium', () => {
  let tmp: string;
  let server: TestServer;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const node = new Map<string, TrainCaseResult>();
  const measured: string[] = [];
  let webgpu = false;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'bit-train-browser-'));
    const bundle = await bundleBrowserTest(join(tmp, 'bundle'), 'train-entry.ts');
    expect(bundle.inputs).toContain('packages/bit-train/dist/index.js');
    expect(bundle.inputs.filter((f) => /^packages\/[^/]+\/(src\/|dist\/node\.)/.test(f))).toEqual(
      [],
    );
    server = await startServer({
      files: { '/': join(REPO_ROOT, 'test/browser/page.html') },
      dirs: { '/bundle/': bundle.outdir, '/wasm/': wasmDistDir() },
    });
    context = await launchChromium(join(tmp, 'profile'), { webgpu: true });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`console.error: ${m.text()}`);
    });
    await page.goto(`${server.origin}/?entry=train-entry`);
    await page.waitForFunction(
      () => window.bitTrain !== undefined || window.bitTestError !== undefined,
    );
    const startError = await page.evaluate(() => window.bitTestError);
    if (startError !== undefined) throw new Error(`the test page failed to start: ${startError}`);
    webgpu =
      (await page.evaluate(() => window.bitTrain.backends.includes('webgpu'))) &&
      (await page.evaluate(() => window.bitTrain.webgpuAdapter()));
    // Node's reference run of each case, on the cpu backend.
    await useBackend('cpu');
    for (const c of CASES) node.set(c.mode, await runTrainCase(c));
  }, 300_000);

  afterAll(async () => {
    if (measured.length > 0) console.log(`browser training:\n  ${measured.join('\n  ')}`);
    await withTimeout(context?.close() ?? Promise.resolve(), 10_000, 'closing Chromium').catch(
      (e) => console.warn(String(e)),
    );
    await server?.close();
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  }, 30_000);

  for (const backend of ['webgl', 'wasm', 'webgpu']) {
    for (const c of CASES) {
      it(
        `fine-tunes (${c.mode}) on ${backend}: loss falls, first ${COMPARED_STEPS} steps match Node's`,
        async (ctx) => {
          if (backend === 'webgpu' && !webgpu) {
            console.warn(
              'skipped webgpu: Chromium (--enable-unsafe-webgpu) gave no WebGPU adapter here',
            );
            ctx.skip();
          }
          if (
            backend === 'webgpu' &&
            c.mode === 'full' &&
            process.env.BIT_TEST_WEBGPU_FULL !== '1'
          ) {
            // Measured: 200 s for 5 steps on SwiftShader's WebGPU (pipeline compilation), too
            // long for CI; head-only (23 s) covers @bit/train on WebGPU, the fixtures its
            // forward pass. BIT_TEST_WEBGPU_FULL=1 runs it.
            console.warn(
              'skipped full fine-tuning on webgpu: 200 s on SwiftShader (BIT_TEST_WEBGPU_FULL=1 runs it)',
            );
            ctx.skip();
          }
          const r = await withTimeout(
            page.evaluate(([tc, b]) => window.bitTrain.run(tc, b), [c, backend] as const),
            CASE_TIMEOUT_MS,
            `${c.mode} on ${backend}`,
          ).catch((e: Error) => {
            throw new Error(`${e.message}${pageErrors.length ? `\n${pageErrors.join('\n')}` : ''}`);
          });
          const ref = node.get(c.mode)!;
          const diffs = r.losses
            .slice(0, COMPARED_STEPS)
            .map((l, i) => Math.abs(l - ref.losses[i]) / Math.abs(ref.losses[i]));
          measured.push(
            `${backend.padEnd(6)} ${c.mode.padEnd(4)} ${c.steps} steps ${r.ms.toFixed(0)} ms; loss ` +
              `${r.losses[0].toFixed(4)} -> ${r.losses.at(-1)!.toFixed(4)}; vs Node (cpu) first ` +
              `${COMPARED_STEPS}: max rel diff ${Math.max(...diffs).toExponential(2)}`,
          );
          expect(r.backend).toBe(backend);
          expect(r.status).toBe('completed');
          expect(r.losses.length).toBe(c.steps);
          expect(r.lrs).toEqual(ref.lrs);
          // Zero-initialised head: the first loss is ln(3) on every backend.
          expect(r.losses[0]).toBeCloseTo(Math.log(3), 5);
          const tail = r.losses.slice(-2).reduce((a, b) => a + b, 0) / 2;
          expect(tail).toBeLessThan(0.8 * r.losses[0]);
          expect(Math.max(...diffs)).toBeLessThan(TOLERANCE[backend]);
          expect(r.tensors.after).toBe(r.tensors.before);
          expect(pageErrors).toEqual([]);
        },
        CASE_TIMEOUT_MS + 10_000,
      );
    }
  }

  it("Node's reference runs learn too", () => {
    for (const r of node.values()) expect(r.losses.at(-1)!).toBeLessThan(0.8 * r.losses[0]);
  });
});
