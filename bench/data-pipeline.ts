/**
 * Benchmark: images/s of decode + HyperRule augmentation in @bit/data, one thread against
 * the worker pool, measured in one run; prints a markdown table.
 *
 *   1. 512x512 JPEG files -> resize 512, random crop 480, flip (the large-image HyperRule setting)
 *   2. Fashion-MNIST-like 28x28 gray arrays -> resize 160, random crop 128, flip
 *
 * Needs the built package (npx tsup in packages/bit-data). Run from the repository root:
 *   npx esbuild bench/data-pipeline.ts --format=esm --platform=node \
 *     --outfile=node_modules/.cache/bench/data-pipeline.mjs && \
 *   node node_modules/.cache/bench/data-pipeline.mjs [--quick] [--threads N]
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createPipeline,
  fromArrays,
  type BatchExecutor,
  type DataSource,
  type PipelineOptions,
} from '@bit/data';
import { createWorkerPool, loadSharp, openSource } from '@bit/data/node';

const quick = process.argv.includes('--quick');
const threadsArg = process.argv.indexOf('--threads');
const threads =
  threadsArg > 0 ? Number(process.argv[threadsArg + 1]) : Math.max(1, availableParallelism() - 1);

interface Row {
  readonly pipeline: string;
  readonly executor: string;
  readonly images: number;
  readonly seconds: number;
}

async function measure(
  source: DataSource,
  options: PipelineOptions,
  batches: number,
  executor?: BatchExecutor,
): Promise<{ images: number; seconds: number }> {
  let images = 0;
  let started = 0;
  let seen = 0;
  for await (const batch of createPipeline(source, { ...options, executor })) {
    if (seen++ === 0) {
      started = performance.now(); // first batch is warm-up (thread start, caches)
      continue;
    }
    images += batch.size;
    if (seen > batches) break;
  }
  return { images, seconds: (performance.now() - started) / 1000 };
}

async function jpegFolder(dir: string, count: number): Promise<string> {
  const sharp = await loadSharp();
  if (!sharp) throw new Error('this benchmark writes its JPEGs with sharp; install sharp');
  const size = 512;
  for (let i = 0; i < count; i++) {
    const data = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const o = (y * size + x) * 3;
        data[o] = (x + i * 7) & 255;
        data[o + 1] = (y * 3 + i) & 255;
        data[o + 2] = 128 + 100 * Math.sin((x + y + i) / 23);
      }
    const cls = join(dir, `class${i % 4}`);
    mkdirSync(cls, { recursive: true });
    writeFileSync(
      join(cls, `${i}.jpg`),
      await sharp(data, { raw: { width: size, height: size, channels: 3 } })
        .jpeg({ quality: 90 })
        .toBuffer(),
    );
  }
  return dir;
}

function fashionLike(n: number): DataSource {
  const images = new Uint8Array(n * 28 * 28);
  for (let i = 0; i < images.length; i++) images[i] = (i * 2654435761) >>> 24;
  return fromArrays({
    images,
    shape: [n, 28, 28, 1],
    labels: Array.from({ length: n }, (_, i) => i % 10),
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bit-data-bench-'));
  const rows: Row[] = [];
  try {
    const cases: { name: string; source: DataSource; options: PipelineOptions; batches: number }[] =
      [
        {
          name: 'JPEG 512x512 -> 512 / crop 480',
          source: await openSource(await jpegFolder(dir, quick ? 24 : 96)),
          options: { batchSize: quick ? 8 : 16, resolution: { precrop: 512, crop: 480 }, seed: 0 },
          batches: quick ? 2 : 12,
        },
        {
          name: 'Fashion-MNIST-like 28x28 -> 160 / crop 128',
          source: fashionLike(quick ? 256 : 4096),
          options: { batchSize: 64, resolution: { precrop: 160, crop: 128 }, seed: 0 },
          batches: quick ? 2 : 24,
        },
      ];
    const pool = await createWorkerPool({ size: threads });
    try {
      for (const c of cases) {
        const one = await measure(c.source, c.options, c.batches);
        rows.push({ pipeline: c.name, executor: 'main thread', ...one });
        const many = await measure(c.source, c.options, c.batches, pool);
        rows.push({ pipeline: c.name, executor: `worker pool (${pool.size} threads)`, ...many });
      }
    } finally {
      await pool.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const decoder = (await loadSharp()) ? 'sharp' : 'jpeg-js/pngjs';
  console.log(
    `\nDecode + augment throughput (@bit/data, decoder ${decoder}, ${availableParallelism()} cores${quick ? ', quick run' : ''})\n`,
  );
  console.log('| pipeline | executor | images | seconds | images/s |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${r.pipeline} | ${r.executor} | ${r.images} | ${r.seconds.toFixed(2)} | ${(r.images / r.seconds).toFixed(1)} |`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
