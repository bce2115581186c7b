/**
 * The web app (examples/web) end to end: the built dist/ served on 127.0.0.1 (with COOP/COEP),
 * driven in Debian Chromium through playwright-core, with the page's data-testid contract.
 * Classify on webgl, wasm (and webgpu where Chromium gives an adapter), Teach (trouser vs bag,
 * five Fashion-MNIST images each) in the worker, cancel, save/load (.npz, TF.js, IndexedDB),
 * the error display, and no console errors. Keeps a screenshot for the README.
 *
 * Needs `npm run build:app -w @bit/example-web` first (`npm run test:e2e` does it), Chromium at
 * /usr/bin/chromium and Fashion-MNIST; skipped with a message where either is missing.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../browser/bundle';
import { CHROMIUM, hasChromium, launchChromium } from '../browser/chromium';
import { startServer, type TestServer } from '../browser/server';
import { FMNIST, hasFashionMnist, readSplit, writeClassPngs } from './fashion-mnist';

const DIST = join(REPO_ROOT, 'examples/web/dist');
const SCREENSHOT = join(REPO_ROOT, 'examples/web/docs/screenshot.png');
const inCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';

const missing = [
  hasChromium ? null : `no Chromium at ${CHROMIUM} (apt-get install chromium)`,
  hasFashionMnist ? null : 'no Fashion-MNIST (apt-get install dataset-fashion-mnist)',
  existsSync(join(DIST, 'index.html'))
    ? null
    : `no ${DIST} (npm run build:app -w @bit/example-web)`,
].filter((m): m is string => m !== null);
if (missing.length > 0) {
  if (inCi) throw new Error(`e2e tests cannot run in CI: ${missing.join('; ')}`);
  console.warn(`e2e tests skipped: ${missing.join('; ')}`);
}

const TRAIN_TIMEOUT_MS = 150_000;
/** Polls `read` until its expectation holds (page work on SwiftShader is slow). */
const until = <T>(read: () => Promise<T> | T, timeout = 60_000) =>
  expect.poll(read, { timeout, interval: 100 });
const BAD_MODEL_PATH = '/missing/model.npz';

describe.skipIf(missing.length > 0)('examples/web in Chromium', () => {
  let tmp: string;
  let server: TestServer;
  let context: BrowserContext;
  const consoleErrors: string[] = [];
  const notes: string[] = [];
  const png = { trouser: [] as string[], bag: [] as string[], heldOutBag: '', heldOutTrouser: '' };
  let webgpuAdapter = false;

  function watch(page: Page, name: string): Page {
    page.on('pageerror', (e) => consoleErrors.push(`${name}: pageerror: ${e.message}`));
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() !== 'error') return;
      // The deliberately failing model URL: Chromium logs the 404 itself.
      if (m.location().url.endsWith(BAD_MODEL_PATH)) return;
      consoleErrors.push(`${name}: console.error: ${m.text()}`);
    });
    return page;
  }

  async function open(query: string): Promise<Page> {
    const page = watch(await context.newPage(), query || 'default');
    page.setDefaultTimeout(60_000);
    await page.goto(`${server.origin}/${query}`);
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    return page;
  }

  const byId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);

  /** Classifies `file`; the first call on a backend compiles its shaders (minutes on SwiftShader). */
  async function classify(page: Page, file: string, timeout = 60_000): Promise<string> {
    await byId(page, 'image-input').setInputFiles(file);
    const first = byId(page, 'predictions').locator('li').first();
    await first.waitFor({ timeout });
    return (await first.getAttribute('data-label')) ?? '';
  }

  /**
   * Teaches `trouser` and `bag` from the five training PNGs each (in `mode` when given, else
   * the page's default), waits for `done` and returns the run's detail line.
   */
  async function teachTrouserBag(page: Page, mode?: 'head' | 'full'): Promise<string> {
    await byId(page, 'teach-name-0').fill('trouser');
    await byId(page, 'teach-name-1').fill('bag');
    await byId(page, 'teach-files-0').setInputFiles(png.trouser);
    await byId(page, 'teach-files-1').setInputFiles(png.bag);
    expect(await byId(page, 'teach-count-1').textContent()).toBe('5 images');
    if (mode !== undefined) await byId(page, 'teach-mode').selectOption(mode);
    await byId(page, 'teach-train').click();
    await until(() => byId(page, 'teach-status').textContent(), TRAIN_TIMEOUT_MS).toBe('done');
    return (await byId(page, 'teach-detail').textContent()) ?? '';
  }

  async function errorsShown(page: Page): Promise<string[]> {
    return byId(page, 'errors').locator('li.error').allTextContents();
  }

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'bit-e2e-'));
    const images = join(tmp, 'images');
    await mkdir(images);
    const train = await readSplit('train');
    const test = await readSplit('t10k');
    png.trouser = await writeClassPngs(train, FMNIST.trouser, 5, images, 'trouser');
    png.bag = await writeClassPngs(train, FMNIST.bag, 5, images, 'bag');
    [png.heldOutBag] = await writeClassPngs(test, FMNIST.bag, 1, images, 'test-bag');
    [png.heldOutTrouser] = await writeClassPngs(test, FMNIST.trouser, 1, images, 'test-trouser');
    server = await startServer({
      files: { '/': join(DIST, 'index.html') },
      dirs: { '/assets/': join(DIST, 'assets') },
      headers: {
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      },
    });
    context = await launchChromium(join(tmp, 'profile'), { webgpu: true });
  }, 120_000);

  afterAll(async () => {
    if (notes.length > 0) console.log(`e2e notes:\n  ${notes.join('\n  ')}`);
    await context?.close().catch((e) => console.warn(String(e)));
    await server?.close();
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  }, 30_000);

  it('defaults to WebGL and classifies a Fashion-MNIST trouser as Trouser', async () => {
    const page = await open('');
    expect(await byId(page, 'backend').textContent()).toBe('webgl');
    expect(await byId(page, 'model-name').textContent()).toBe('BiT-FMNIST-R14x0.5');
    expect(await classify(page, png.heldOutTrouser, 180_000)).toBe('Trouser');
    // Names with scores, best first.
    const scores = await byId(page, 'predictions')
      .locator('li')
      .evaluateAll((lis) => lis.map((li) => Number((li as HTMLElement).dataset.score)));
    expect(scores.length).toBe(5);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(await errorsShown(page)).toEqual([]);
    const tensors = await page.evaluate(() => window.bitApp.numTensors());
    await classify(page, png.trouser[0]);
    expect(await page.evaluate(() => window.bitApp.numTensors())).toBe(tensors);
    await page.close();
  });

  it('?backend=wasm classifies the trouser too (cross-origin isolated: wasm threads)', async () => {
    const page = await open('?backend=wasm');
    expect(await byId(page, 'backend').textContent()).toBe('wasm');
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await classify(page, png.heldOutTrouser)).toBe('Trouser');
    expect(await errorsShown(page)).toEqual([]);
    await page.close();
  });

  it('?backend=webgpu uses WebGPU where Chromium gives an adapter, else falls back and says so', async () => {
    const page = await open('?backend=webgpu');
    webgpuAdapter = await page.evaluate(async () => {
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      return gpu !== undefined && (await gpu.requestAdapter()) !== null;
    });
    const backend = await byId(page, 'backend').textContent();
    if (webgpuAdapter) {
      expect(backend).toBe('webgpu');
      expect(await classify(page, png.heldOutTrouser, 240_000)).toBe('Trouser');
      notes.push('webgpu: adapter found, classified on webgpu');
    } else {
      expect(backend).toBe('webgl');
      const notice = await byId(page, 'errors').locator('li.notice').allTextContents();
      expect(notice.join(' ')).toMatch(/webgpu is not available here.*no WebGPU adapter/);
      notes.push('webgpu: Chromium gave no adapter here; the page fell back to webgl and said so');
    }
    expect(await errorsShown(page)).toEqual([]);
    await page.close();
  });

  describe('on one page (webgl)', () => {
    let page: Page;
    beforeAll(async () => {
      page = await open('');
    });
    afterAll(async () => {
      await page?.close();
    });

    it('teaches trouser vs bag from five images each (head-only, in a worker), then predicts bag', async () => {
      const detail = await teachTrouserBag(page);
      expect(detail).toMatch(/in a worker/);
      notes.push(`teach (head-only, webgl): ${detail}`);
      expect(await byId(page, 'model-name').textContent()).toBe('taught (trouser, bag)');
      expect(await classify(page, png.heldOutBag)).toBe('bag');
      expect(await classify(page, png.heldOutTrouser)).toBe('trouser');
      expect(await errorsShown(page)).toEqual([]);
      await mkdir(join(REPO_ROOT, 'examples/web/docs'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    });

    it('saves the taught model (.npz, TF.js download, IndexedDB) and loads each back', async () => {
      const saved = join(tmp, 'saved');
      await mkdir(saved);
      // .npz download; class names come back through the labels field.
      const [npz] = await Promise.all([
        page.waitForEvent('download'),
        byId(page, 'save-npz').click(),
      ]);
      const npzPath = join(saved, npz.suggestedFilename());
      await npz.saveAs(npzPath);
      expect(npzPath.endsWith('.npz')).toBe(true);
      const bytes = await readFile(npzPath);
      expect(bytes.subarray(0, 2).toString()).toBe('PK');

      // TF.js: model.json + weights, two downloads.
      const downloads: Promise<string>[] = [];
      const collect = (d: import('playwright-core').Download) => {
        const path = join(saved, d.suggestedFilename());
        downloads.push(d.saveAs(path).then(() => path));
      };
      page.on('download', collect);
      await byId(page, 'save-tfjs').click();
      await until(() => downloads.length).toBe(2);
      page.off('download', collect);
      const tfjsFiles = await Promise.all(downloads);
      expect(tfjsFiles.some((f) => f.endsWith('.json'))).toBe(true);

      await byId(page, 'save-idb').click();
      await until(() => byId(page, 'save-status').textContent()).toBe('saved to IndexedDB');

      // Back to the default model, then each saved form in turn.
      const loaded = async (what: () => Promise<void>, name: string | RegExp) => {
        await byId(page, 'model-default').click();
        await until(() => byId(page, 'model-status').textContent()).not.toBe('loading…');
        expect(await errorsShown(page)).toEqual([]);
        expect(await byId(page, 'model-name').textContent()).toBe('BiT-FMNIST-R14x0.5');
        await what();
        await until(() => byId(page, 'model-name').textContent()).toMatch(name);
        expect(await classify(page, png.heldOutBag)).toBe('bag');
      };
      await loaded(async () => {
        await byId(page, 'model-labels').fill('trouser, bag');
        await byId(page, 'model-files').setInputFiles(npzPath);
      }, /\.npz$/);
      await loaded(() => byId(page, 'model-files').setInputFiles(tfjsFiles), /\.json$/);
      await loaded(() => byId(page, 'load-idb').click(), 'IndexedDB');
      expect(await errorsShown(page)).toEqual([]);
    });

    it('cancels a training run and keeps the model; the page stays responsive meanwhile', async () => {
      await byId(page, 'teach-steps').fill('100000');
      await byId(page, 'teach-train').click();
      await until(() => byId(page, 'teach-status').textContent(), TRAIN_TIMEOUT_MS).toMatch(
        /^training: step/,
      );
      // The worker trains; the page still classifies.
      expect(await classify(page, png.heldOutBag)).toBe('bag');
      await byId(page, 'teach-cancel').click();
      await until(() => byId(page, 'teach-status').textContent()).toBe('cancelled');
      expect(await byId(page, 'model-name').textContent()).toBe('IndexedDB');
      expect(await errorsShown(page)).toEqual([]);
    });

    it('shows errors (a broken image, a failing model URL) and keeps working', async () => {
      const broken = join(tmp, 'broken.png');
      await writeFile(broken, 'this is not a PNG');
      expect(await errorsShown(page)).toEqual([]);
      await byId(page, 'image-input').setInputFiles(broken);
      await until(() => errorsShown(page)).toEqual([
        expect.stringMatching(/^classify broken\.png: cannot decode image/),
      ]);
      await byId(page, 'model-url').fill(`${server.origin}${BAD_MODEL_PATH}`);
      await byId(page, 'model-load').click();
      await until(async () => (await errorsShown(page)).length).toBe(2);
      expect((await errorsShown(page))[1]).toMatch(/404/);
      // The model in use is unchanged and still classifies.
      expect(await byId(page, 'model-name').textContent()).toBe('IndexedDB');
      expect(await classify(page, png.heldOutBag)).toBe('bag');
      // Teach refuses a class without images, on the page.
      await byId(page, 'teach-add-class').click();
      await byId(page, 'teach-mode').selectOption('head');
      await byId(page, 'teach-steps').fill('5');
      await byId(page, 'teach-train').click();
      await until(async () => (await errorsShown(page)).at(-1)).toMatch(/has no images/);
    });
  });

  it('?worker=0&backend=wasm teaches on the page itself and leaks no tensors', async () => {
    const page = await open('?worker=0&backend=wasm');
    expect(await byId(page, 'backend').textContent()).toBe('wasm');
    // Warm the active model's inference caches, then count.
    await classify(page, png.heldOutTrouser);
    const before = await page.evaluate(() => window.bitApp.numTensors());
    const detail = await teachTrouserBag(page, 'head');
    expect(detail).not.toMatch(/in a worker/);
    expect(await classify(page, png.heldOutBag)).toBe('bag');
    // The taught model (a 2-class head) replaced the embedded one (a 5-class head): the same
    // number of tensors once its caches are warm, nothing left from the run.
    expect(await page.evaluate(() => window.bitApp.numTensors())).toBe(before);
    expect(await errorsShown(page)).toEqual([]);
    notes.push(`teach (head-only, wasm, on the page): ${detail}`);
    await page.close();
  });

  it('logs no console errors on any page', () => {
    expect(consoleErrors).toEqual([]);
    if (!existsSync(SCREENSHOT)) throw new Error('no screenshot was kept');
  });
});
