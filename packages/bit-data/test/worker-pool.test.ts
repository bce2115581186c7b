/**
 * The worker pool runs from the built package: this suite builds @bit/data (no .d.ts) into
 * .tmp/test-dist and loads its ESM and CJS node entries, as users do.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, rmdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline, type Batch, type PipelineOptions } from '../src/pipeline/pipeline';
import { fromArrays } from '../src/sources/memory';
import type { DataSource } from '../src/sources/types';
import type * as NodeApi from '../src/node';
import { openSource } from '../src/node';
import { encodePng, randomImage, tempDir, writeFile } from './helpers';

const pkg = resolve(__dirname, '..');
const out = join(pkg, '.tmp', 'test-dist');
const tmp = tempDir();
let esm: typeof NodeApi;
let cjs: typeof NodeApi;

beforeAll(() => {
  execFileSync(
    join(pkg, '..', '..', 'node_modules', '.bin', 'tsup'),
    ['--no-dts', '--out-dir', out],
    { cwd: pkg, stdio: 'pipe' },
  );
}, 180_000);

beforeAll(async () => {
  esm = (await import(
    /* @vite-ignore */ pathToFileURL(join(out, 'node.js')).href
  )) as typeof NodeApi;
  cjs = createRequire(import.meta.url)(join(out, 'node.cjs')) as typeof NodeApi;
});

afterAll(() => {
  tmp.cleanup();
  rmSync(out, { recursive: true, force: true });
  if (readdirSync(join(pkg, '.tmp')).length === 0) rmdirSync(join(pkg, '.tmp'));
});

async function collect(src: DataSource, options: PipelineOptions, count: number): Promise<Batch[]> {
  const batches: Batch[] = [];
  for await (const b of createPipeline(src, options)) {
    batches.push(b);
    if (batches.length >= count) break;
  }
  return batches;
}

function expectSame(a: Batch[], b: Batch[]): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => {
    expect(Array.from(x.indices)).toEqual(Array.from(b[i].indices));
    expect(x.labels).toEqual(b[i].labels);
    expect(x.images).toEqual(b[i].images); // bit-identical
  });
}

const options: PipelineOptions = {
  batchSize: 6,
  resolution: { precrop: 40, crop: 32 },
  seed: 3,
  mixup: 0.1,
};

describe('worker pool (built dist)', () => {
  it('ESM build: same batches as the single-thread path (in-memory source)', async () => {
    const n = 20;
    const images = randomImage(n * 28, 28, 5).data;
    const src = fromArrays({
      images,
      shape: [n, 28, 28, 3],
      labels: Array.from({ length: n }, (_, i) => i % 4),
    });
    const pool = await esm.createWorkerPool({ size: 2 });
    try {
      expect(pool.size).toBe(2);
      expect(esm.defaultWorkerUrl().pathname).toMatch(/test-dist\/worker\.js$/);
      const local = await collect(src, options, 5);
      const pooled = await collect(src, { ...options, executor: pool }, 5);
      expectSame(pooled, local);
    } finally {
      await pool.close();
    }
  });

  it('ESM build: image files decoded in the workers, broken ones skipped the same way', async () => {
    const dir = join(tmp.dir, 'folder');
    for (const c of ['x', 'y', 'z'])
      for (let i = 0; i < 4; i++) {
        const im = randomImage(20 + i, 30, i + c.charCodeAt(0));
        writeFile(join(dir, c, `${i}.png`), encodePng(im.data, im.height, im.width));
      }
    writeFile(join(dir, 'y', 'bad.png'), new Uint8Array(0));
    const src = await openSource(dir);
    const warnLocal: string[] = [];
    const warnPool: string[] = [];
    const local = await collect(src, { ...options, onWarning: (m) => warnLocal.push(m) }, 4);
    const pool = await esm.createWorkerPool({ size: 2 });
    try {
      const pooled = await collect(
        src,
        { ...options, executor: pool, onWarning: (m) => warnPool.push(m) },
        4,
      );
      expectSame(pooled, local);
      expect(warnPool).toEqual(warnLocal);
      expect(warnPool).toHaveLength(1);
    } finally {
      await pool.close();
    }
  });

  it('CJS build: finds dist/worker.cjs and gives the same batches', async () => {
    expect(cjs.defaultWorkerUrl().pathname).toMatch(/test-dist\/worker\.cjs$/);
    const n = 9;
    const src = fromArrays({
      images: randomImage(n * 12, 12, 1).data,
      shape: [n, 12, 12, 3],
      labels: Array.from({ length: n }, (_, i) => i % 3),
    });
    const pool = await cjs.createWorkerPool({ size: 2, decoder: 'js' });
    try {
      const opts = { ...options, batchSize: 4 };
      expectSame(await collect(src, { ...opts, executor: pool }, 4), await collect(src, opts, 4));
    } finally {
      await pool.close();
    }
    await expect(pool.execute([], new Float32Array(0))).rejects.toThrow(/closed/);
  });

  it('a missing worker script is a clear error', async () => {
    await expect(
      esm.createWorkerPool({ size: 1, workerUrl: join(tmp.dir, 'nope.js') }),
    ).rejects.toThrow(/worker script .*nope\.js not found/);
  });
});
