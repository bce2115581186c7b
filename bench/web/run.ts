/**
 * `npm run bench:web`: the browser benchmark. Bundles bench/web/entry.ts for the browser, serves
 * it on 127.0.0.1 with COOP/COEP (so the wasm backend can use threads), and measures in headless
 * Debian Chromium (--enable-unsafe-webgpu), in one page: images/s of inference, head-only and full
 * training for the embedded model's architecture (R14x0.5, 32 px) and R50x1 at 128 px, on webgl,
 * webgpu and wasm. Writes bench/results/web.json and prints a Markdown table for BENCHMARKS.md.
 *
 * onnxruntime-web (wasm SIMD + threads) runs the models' ONNX export for inference beside them.
 *
 * Options: --backends webgl,webgpu,wasm,onnxruntime-web  --models embedded,R50x1
 *          --tasks inference,head,full
 *          --budget SECONDS (timed part of a case, default 60)
 *          --case-timeout SECONDS (a case that takes longer is recorded as not finished; 600)
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  REPO_ROOT,
  bundleBrowserTest,
  ortWebDistDir,
  wasmDistDir,
} from '../../test/browser/bundle';
import { CHROMIUM, hasChromium, launchChromium, withTimeout } from '../../test/browser/chromium';
import { startServer } from '../../test/browser/server';
import type { BenchCase, BenchResult } from './entry';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'webgl,webgpu,wasm,onnxruntime-web' },
    models: { type: 'string', default: 'embedded,R50x1' },
    tasks: { type: 'string', default: 'inference,head,full' },
    budget: { type: 'string', default: '60' },
    'case-timeout': { type: 'string', default: '600' },
  },
});
if (!hasChromium) {
  console.error(`bench:web needs Chromium at ${CHROMIUM}`);
  process.exit(2);
}
const budget = Number(values.budget);
const tmp = await mkdtemp(join(tmpdir(), 'bit-bench-web-'));
const bundle = await bundleBrowserTest(join(tmp, 'bundle'), '../../bench/web/entry.ts');
const server = await startServer({
  files: { '/': join(REPO_ROOT, 'test/browser/page.html') },
  dirs: {
    '/bundle/': bundle.outdir,
    '/wasm/': wasmDistDir(),
    '/ort/': ortWebDistDir(),
  },
  headers: {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
  },
});
const context = await launchChromium(join(tmp, 'profile'), { webgpu: true });
const rows: (BenchResult | (BenchCase & { error: string }))[] = [];
try {
  let page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${server.origin}/`);
  await page.waitForFunction(
    () => window.bitBench !== undefined || window.bitTestError !== undefined,
  );
  const env = await page.evaluate(() => window.bitBench.env());
  console.error(
    `browser: ${env.userAgent}\nWebGL: ${env.renderer}; WebGPU adapter: ${env.webgpu}; cross-origin isolated: ${env.isolated}`,
  );
  for (const model of values.models.split(',') as BenchCase['model'][]) {
    for (const backend of values.backends.split(',')) {
      for (const task of values.tasks.split(',') as BenchCase['task'][]) {
        const c: BenchCase = { backend, model, task };
        if (backend === 'webgpu' && !env.webgpu) {
          rows.push({ ...c, error: 'no WebGPU adapter' });
          continue;
        }
        if (backend === 'onnxruntime-web' && task !== 'inference') {
          rows.push({ ...c, error: 'inference only' });
          continue;
        }
        try {
          const r = await withTimeout(
            page.evaluate(([bc, b]) => window.bitBench.run(bc, b), [c, budget] as const),
            Number(values['case-timeout']) * 1000,
            `${model} ${task} on ${backend}`,
          );
          rows.push(r);
          console.error(
            `${model} ${backend} ${task}: ${r.imagesPerSecond.toFixed(2)} images/s (warm-up ${r.warmupSeconds.toFixed(1)} s, ${r.timed} timed)`,
          );
        } catch (error) {
          rows.push({ ...c, error: (error as Error).message.split('\n')[0] });
          console.error(`${model} ${backend} ${task}: ${(error as Error).message}`);
          if (/no answer within/.test((error as Error).message)) {
            // The page is still busy with that case (or hung): start the next in a fresh page.
            await page.close({ runBeforeUnload: false }).catch(() => undefined);
            page = await context.newPage();
            await page.goto(`${server.origin}/`);
            await page.waitForFunction(() => window.bitBench !== undefined);
          }
        }
      }
    }
  }
  await mkdir(join(REPO_ROOT, 'bench/results'), { recursive: true });
  await writeFile(
    join(REPO_ROOT, 'bench/results/web.json'),
    `${JSON.stringify({ date: new Date().toISOString(), env, budgetSeconds: budget, rows }, null, 2)}\n`,
  );
  const line = (r: (typeof rows)[number]) => {
    const spec = r.model === 'embedded' ? 'embedded R14x0.5, 32 px' : 'R50x1, 128 px';
    if ('error' in r) return `| ${spec} | ${r.backend} | ${r.task} | — | — | ${r.error} |`;
    const wasm = r.threads === undefined ? '' : r.threads ? ' (threads)' : ' (no threads)';
    return `| ${spec} | ${r.backend}${wasm} | ${r.task} | ${r.batch} | ${r.imagesPerSecond.toFixed(2)} | warm-up ${r.warmupSeconds.toFixed(1)} s, ${r.timed} timed |`;
  };
  console.log('| model | backend | task | batch | images/s | notes |');
  console.log('| --- | --- | --- | ---: | ---: | --- |');
  for (const r of rows) console.log(line(r));
} finally {
  await context.close().catch(() => undefined);
  await server.close();
  await rm(tmp, { recursive: true, force: true });
}
