/**
 * Fuzz targets: every parser of outside input, with seed inputs, format-aware edits, the errors
 * it may throw (typed, naming the input) and its bounds (time per case, memory per case as a
 * multiple of the input's size plus a constant). Used by test/fuzz.test.ts (a short, fixed-seed
 * budget in `npm test`) and bench/fuzz.ts (`npm run fuzz`, 100,000 cases per parser).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  encodeNpz,
  MemoryByteSource,
  openNpz,
  parseModelJson,
  parseNpyHeader,
  buildNpyHeader,
} from '@bit/models';
import { buildResNetV2, fileSystemHandler, saveBiT } from '@bit/models/node';
import { parseCifar, parseCsvManifest, parseIdx, parseJsonlManifest } from '@bit/data';
import { decodeImageBytes } from '@bit/data/node';
import { NodeRunStore } from '@bit/train/node';
import { Rng, setUint, type Edit } from './mutate';

/** A parser under fuzz. */
export interface FuzzTarget {
  readonly name: string;
  /** Seed inputs (valid files). */
  seeds(): Promise<Uint8Array[]>;
  /** Format-aware edits. */
  readonly edits: Record<string, Edit>;
  /** Parses `bytes` as the input called `name`; resolves when accepted. */
  run(bytes: Uint8Array, name: string): Promise<void>;
  /**
   * True when an error message names the input (default: it contains the `name` passed to run;
   * file-based targets check for the file's path instead).
   */
  readonly names?: (message: string, name: string) => boolean;
  /** Error class names that count as typed refusals. */
  readonly errors: readonly string[];
  /** Most milliseconds one case may take. */
  readonly maxMs: number;
  /** Memory bound of one case: `factor` x input bytes + `constantMB` (peak RSS growth). */
  readonly memory: { readonly factor: number; readonly constantMB: number };
  /** Cleans up files the target made. */
  close?(): Promise<void>;
}

const u32be = (b: Uint8Array, p: number) => new DataView(b.buffer, b.byteOffset).getUint32(p);

// ---------------------------------------------------------------- images

function pngChunks(b: Uint8Array): { at: number; length: number; type: string }[] {
  const out: { at: number; length: number; type: string }[] = [];
  for (let p = 8; p + 8 <= b.length;) {
    const length = u32be(b, p);
    out.push({ at: p, length, type: String.fromCharCode(...b.subarray(p + 4, p + 8)) });
    p += 12 + length;
  }
  return out;
}

const PNG_EDITS: Record<string, Edit> = {
  'ihdr-size': (b, r) => {
    const out = b.slice();
    const side = r.pick([0, 1, 0x7fffffff, 0xffffffff, 65535, 1 << 20, 5000, 20000]);
    setUint(out, r.next() < 0.5 ? 16 : 20, 4, side, false);
    return out;
  },
  'ihdr-format': (b, r) => {
    const out = b.slice();
    out[r.next() < 0.5 ? 24 : 25] = r.pick([0, 1, 2, 3, 4, 6, 8, 16, 7, 255]);
    if (r.next() < 0.3) out[28] = r.pick([0, 1, 2]); // interlace
    return out;
  },
  'chunk-length': (b, r) => {
    const out = b.slice();
    const chunks = pngChunks(out);
    if (chunks.length) {
      const c = r.pick(chunks);
      setUint(
        out,
        c.at,
        4,
        r.pick([0, 1, c.length + 1, c.length - 1, 0x7fffffff, 0xffffffff]),
        false,
      );
    }
    return out;
  },
  'drop-chunk': (b, r) => {
    const chunks = pngChunks(b);
    if (chunks.length < 2) return b;
    const c = r.pick(chunks);
    const end = Math.min(b.length, c.at + 12 + c.length);
    const out = new Uint8Array(b.length - (end - c.at));
    out.set(b.subarray(0, c.at));
    out.set(b.subarray(end), c.at);
    return out;
  },
};

function jpegSegments(b: Uint8Array): { at: number; marker: number }[] {
  const out: { at: number; marker: number }[] = [];
  for (let p = 2; p + 4 <= b.length;) {
    if (b[p] !== 0xff) break;
    const marker = b[p + 1];
    out.push({ at: p, marker });
    if (marker === 0xda) break;
    p += 2 + ((b[p + 2] << 8) | b[p + 3]);
  }
  return out;
}

const JPEG_EDITS: Record<string, Edit> = {
  'sof-size': (b, r) => {
    const out = b.slice();
    const sof = jpegSegments(out).find((s) => s.marker >= 0xc0 && s.marker <= 0xc2);
    if (sof)
      setUint(
        out,
        sof.at + (r.next() < 0.5 ? 5 : 7),
        2,
        r.pick([0, 1, 0xffff, 0x8000, 7000, 20000]),
        false,
      );
    return out;
  },
  'sof-components': (b, r) => {
    const out = b.slice();
    const sof = jpegSegments(out).find((s) => s.marker >= 0xc0 && s.marker <= 0xc2);
    if (sof) {
      const at = sof.at + 9 + (r.next() < 0.5 ? 0 : 2 + 3 * r.int(3));
      if (at < out.length) out[at] = r.pick([0, 1, 3, 4, 0x44, 0x11, 0xff, 0x22]);
    }
    return out;
  },
  'segment-length': (b, r) => {
    const out = b.slice();
    const segs = jpegSegments(out);
    if (segs.length)
      setUint(out, r.pick(segs).at + 2, 2, r.pick([0, 1, 2, 0xffff, 0x8000, r.int(512)]), false);
    return out;
  },
  marker: (b, r) => {
    const out = b.slice();
    const segs = jpegSegments(out);
    if (segs.length)
      out[r.pick(segs).at + 1] = r.pick([
        0xc0, 0xc2, 0xc4, 0xc9, 0xda, 0xdb, 0xdd, 0xd9, 0xe1, 0x01,
      ]);
    return out;
  },
};

function rgbNoise(h: number, w: number, seed: number): Uint8Array {
  const r = new Rng(seed);
  return Uint8Array.from({ length: h * w * 3 }, (_, i) => (i % 3) * 60 + r.int(80));
}

async function pngSeeds(): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const [h, w, colorType, depth] of [
    [12, 9, 2, 8],
    [16, 16, 6, 8],
    [7, 21, 0, 8],
    [10, 10, 2, 16],
  ] as const) {
    const png = new pngjs.PNG({ width: w, height: h });
    const rgb = rgbNoise(h, w, h * w);
    for (let i = 0; i < h * w; i++) {
      png.data.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
      png.data[i * 4 + 3] = 200;
    }
    out.push(new Uint8Array(pngjs.PNG.sync.write(png, { colorType, bitDepth: depth })));
  }
  // Palette and interlaced files from libvips.
  out.push(
    new Uint8Array(
      await sharp(Buffer.from(rgbNoise(20, 20, 5)), { raw: { width: 20, height: 20, channels: 3 } })
        .png({ palette: true, progressive: true })
        .toBuffer(),
    ),
  );
  return out;
}

async function jpegSeeds(): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const rgba = (h: number, w: number, seed: number) => {
    const rgb = rgbNoise(h, w, seed);
    const d = new Uint8Array(h * w * 4);
    for (let i = 0; i < h * w; i++) {
      d.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
      d[i * 4 + 3] = 255;
    }
    return d;
  };
  out.push(new Uint8Array(jpeg.encode({ data: rgba(16, 24, 1), width: 24, height: 16 }, 80).data));
  const raw = { raw: { width: 20, height: 18, channels: 3 as const } };
  out.push(
    new Uint8Array(
      await sharp(Buffer.from(rgbNoise(18, 20, 2)), raw)
        .jpeg({ progressive: true })
        .toBuffer(),
    ),
  );
  out.push(
    new Uint8Array(
      await sharp(Buffer.from(rgbNoise(18, 20, 3)), raw)
        .withMetadata({ orientation: 6 })
        .jpeg({ chromaSubsampling: '4:4:4' })
        .toBuffer(),
    ),
  );
  out.push(
    new Uint8Array(
      await sharp(Buffer.from(rgbNoise(18, 20, 4)), raw)
        .grayscale()
        .jpeg()
        .toBuffer(),
    ),
  );
  return out;
}

function imageTarget(format: 'png' | 'jpeg', decoder: 'js' | 'sharp'): FuzzTarget {
  return {
    name: `${format} (${decoder})`,
    seeds: format === 'png' ? pngSeeds : jpegSeeds,
    edits: format === 'png' ? PNG_EDITS : JPEG_EDITS,
    run: async (bytes, name) => {
      await decodeImageBytes(bytes, { decoder, name });
    },
    errors: ['ImageDecodeError', 'ImageTooLargeError'],
    maxMs: 5000,
    // Decoding is bounded by the header checks: at most ~1032x the data for PNG rows, 8x8 pixels
    // per bit of JPEG data; RGBA output plus copies.
    memory: { factor: 8192, constantMB: 96 },
  };
}

// ---------------------------------------------------------------- checkpoints

async function npzSeeds(): Promise<Uint8Array[]> {
  const arrays = [
    {
      name: 'resnet/root_block/standardized_conv2d/kernel',
      shape: [3, 3, 3, 4],
      data: new Float32Array(108).map((_, i) => i / 7),
    },
    { name: 'resnet/group_norm/gamma', shape: [4], data: new Float32Array([1, 2, 3, 4]) },
    { name: 'resnet/head/conv2d/bias', shape: [], data: new Float32Array([0.5]) },
  ];
  return [
    await encodeNpz(arrays),
    await encodeNpz(arrays, { compress: true }),
    await encodeNpz(arrays, { dtype: 'float16' } as never),
  ];
}

/** Offsets of zip records (local headers, central directory, end records) for aware edits. */
function zipRecords(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let p = 0; p + 4 <= b.length; p++) {
    if (
      b[p] === 0x50 &&
      b[p + 1] === 0x4b &&
      (b[p + 2] === 1 || b[p + 2] === 3 || b[p + 2] === 5 || b[p + 2] === 6)
    )
      out.push(p);
  }
  return out;
}

const NPZ_EDITS: Record<string, Edit> = {
  'zip-field': (b, r) => {
    const out = b.slice();
    const recs = zipRecords(out);
    if (recs.length) {
      const at = r.pick(recs) + 4 + 2 * r.int(20);
      setUint(
        out,
        at,
        r.next() < 0.5 ? 2 : 4,
        r.pick([0, 1, 0xffff, 0xffffffff, 0x7fffffff, r.int(1 << 20)]),
        true,
      );
    }
    return out;
  },
  'npy-shape': (b, r) => {
    // Rewrites a shape in a stored member's header text (same length, so offsets still match).
    const text = new TextDecoder('latin1').decode(b);
    const at = text.indexOf("'shape': (");
    if (at < 0) return b;
    const out = b.slice();
    const digits = r.pick(['9', '0', '99999999', '-1', '4294967296']);
    for (let i = 0; i < digits.length && at + 10 + i < out.length; i++)
      out[at + 10 + i] = digits.charCodeAt(i);
    return out;
  },
  'npy-descr': (b, r) => {
    const text = new TextDecoder('latin1').decode(b);
    const at = text.indexOf("'descr': '");
    if (at < 0) return b;
    const out = b.slice();
    const d = r.pick(['>f4', '<i8', '|b1', '<f8', '<U1', 'xxx']);
    for (let i = 0; i < 3; i++) out[at + 10 + i] = d.charCodeAt(i);
    return out;
  },
};

const npzTarget: FuzzTarget = {
  name: '.npz',
  seeds: npzSeeds,
  edits: NPZ_EDITS,
  run: async (bytes, name) => {
    const archive = await openNpz(new MemoryByteSource(bytes, name));
    for await (const _ of archive) {
      // read every member (CRC checked)
    }
  },
  errors: ['CheckpointFormatError', 'ByteSourceError'],
  maxMs: 2000,
  memory: { factor: 16, constantMB: 64 },
};

const npyTarget: FuzzTarget = {
  name: '.npy',
  seeds: async () => [
    Uint8Array.from([...buildNpyHeader('float32', [1, 2, 2, 3]), ...new Uint8Array(48)]),
    Uint8Array.from([...buildNpyHeader('float16', [5]), ...new Uint8Array(10)]),
  ],
  edits: { 'npy-shape': NPZ_EDITS['npy-shape'], 'npy-descr': NPZ_EDITS['npy-descr'] },
  run: async (bytes, name) => {
    // parseNpyHeader reports problems as values; the reader turns them into errors naming the file.
    const header = parseNpyHeader(bytes);
    if ('detail' in header)
      throw Object.assign(new Error(`${name}: ${header.detail}`), { name: 'NpyFormatError' });
  },
  errors: ['NpyFormatError'],
  maxMs: 1000,
  memory: { factor: 16, constantMB: 32 },
};

// ---------------------------------------------------------------- datasets

function idxBytes(shape: number[], data: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * shape.length);
  head[2] = 0x08;
  head[3] = shape.length;
  shape.forEach((d, i) => setUint(head, 4 + 4 * i, 4, d, false));
  return Uint8Array.from([...head, ...data]);
}

const idxTarget: FuzzTarget = {
  name: 'IDX',
  seeds: async () => [
    idxBytes([3, 4, 5], rgbNoise(4, 5, 1)),
    idxBytes([6], Uint8Array.from([0, 1, 2, 3, 4, 5])),
  ],
  edits: {
    'idx-dims': (b, r) => {
      const out = b.slice();
      if (out.length > 3) out[3] = r.pick([0, 1, 3, 4, 255]);
      if (out.length > 2 && r.next() < 0.3)
        out[2] = r.pick([0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e, 0]);
      return out;
    },
    'idx-shape': (b, r) => {
      const out = b.slice();
      setUint(out, 4 + 4 * r.int(3), 4, r.pick([0, 1, 0xffffffff, 0x7fffffff, 65536, 5]), false);
      return out;
    },
  },
  run: async (bytes, name) => {
    parseIdx(bytes, name);
  },
  errors: ['DataFormatError'],
  maxMs: 1000,
  memory: { factor: 16, constantMB: 32 },
};

const cifarTarget: FuzzTarget = {
  name: 'CIFAR binary',
  seeds: async () => {
    const rec10 = new Uint8Array(2 * 3073);
    rec10.set(rgbNoise(32, 32, 7).subarray(0, 3072), 1);
    const rec100 = new Uint8Array(3074);
    rec100[0] = 3;
    rec100[1] = 42;
    return [rec10, rec100];
  },
  edits: {
    label: (b, r) => {
      const out = b.slice();
      if (out.length)
        out[r.pick([0, 1, 3073, 3074].filter((i) => i < out.length))] = r.pick([
          9, 10, 99, 100, 255,
        ]);
      return out;
    },
  },
  run: async (bytes, name) => {
    parseCifar(bytes, bytes.length % 3074 === 0 ? 'cifar100' : 'cifar10', 'fine', name);
  },
  errors: ['DataFormatError'],
  maxMs: 1000,
  memory: { factor: 16, constantMB: 32 },
};

const text = (s: string) => new TextEncoder().encode(s);
const untext = (b: Uint8Array) => new TextDecoder().decode(b);

const TEXT_EDITS: Record<string, Edit> = {
  quote: (b, r) => {
    const s = untext(b);
    const at = r.int(s.length + 1);
    return text(
      s.slice(0, at) +
        r.pick(['"', '""', ',', '\n', '\r\n', '\\', '{', '}', ':', '\u0000', '\uFEFF']) +
        s.slice(at),
    );
  },
  'line-dup': (b, r) => {
    const lines = untext(b).split('\n');
    const i = r.int(lines.length);
    lines.splice(r.int(lines.length + 1), 0, ...Array(1 + r.int(50)).fill(lines[i]));
    return text(lines.join('\n'));
  },
};

const csvTarget: FuzzTarget = {
  name: 'CSV manifest',
  seeds: async () => [
    text('path,label\nimages/a.png,cat\n"images/b, c.png",dog\nimages/d.jpg,cat\n'),
    text('path,label,split\nx/1.png,0,train\nx/2.png,1,test\r\n'),
  ],
  edits: TEXT_EDITS,
  run: async (bytes, name) => {
    parseCsvManifest(untext(bytes), name);
  },
  errors: ['DataFormatError'],
  maxMs: 1000,
  memory: { factor: 64, constantMB: 32 },
};

const jsonlTarget: FuzzTarget = {
  name: 'JSONL manifest',
  seeds: async () => [
    text('{"path": "a.png", "label": "cat"}\n{"path": "b.png", "label": "dog", "split": "test"}\n'),
    text('{"path": "x/1.png", "label": 0}\n\n{"path": "x/2.png", "label": 1}\n'),
  ],
  edits: TEXT_EDITS,
  run: async (bytes, name) => {
    parseJsonlManifest(untext(bytes), name);
  },
  errors: ['DataFormatError'],
  maxMs: 1000,
  memory: { factor: 64, constantMB: 32 },
};

// ---------------------------------------------------------------- TF.js models and run folders

interface TempFiles {
  dir: string;
  files: Record<string, Uint8Array>;
}

let tfjsFiles: Promise<TempFiles> | undefined;

/** A tiny BiT model saved as TF.js (model.json + one shard), once per process. */
function tinyTfjs(): Promise<TempFiles> {
  tfjsFiles ??= (async () => {
    await tf.setBackend('cpu');
    const dir = await mkdtemp(join(tmpdir(), 'bit-fuzz-tfjs-'));
    const model = buildResNetV2({ units: [1, 1, 1, 1], width: 0.5, numClasses: 3 });
    await saveBiT(model, join(dir, 'seed'), { format: 'tfjs' });
    model.dispose();
    const { readdir, readFile } = await import('node:fs/promises');
    const files: Record<string, Uint8Array> = {};
    for (const name of await readdir(join(dir, 'seed')))
      files[name] = new Uint8Array(await readFile(join(dir, 'seed', name)));
    return { dir, files };
  })();
  return tfjsFiles;
}

const modelJsonTarget: FuzzTarget = {
  name: 'TF.js model.json',
  seeds: async () => [(await tinyTfjs()).files['model.json']],
  edits: {
    ...TEXT_EDITS,
    'json-value': (b, r) => {
      const s = untext(b);
      const keys = [
        '"shape": [',
        '"dtype": "',
        '"paths": [',
        '"weightsManifest": ',
        '"name": "',
        '"format": "',
      ];
      const k = r.pick(keys);
      const at = s.indexOf(k);
      if (at < 0) return b;
      const v = r.pick([
        '-1, ',
        '99999999999, ',
        '"../../etc/passwd", ',
        'null, ',
        '"float64", ',
        '{}, ',
        '1e308, ',
      ]);
      return text(s.slice(0, at + k.length) + v + s.slice(at + k.length));
    },
  },
  run: async (bytes, name) => {
    parseModelJson(untext(bytes), name);
  },
  errors: ['TfjsFormatError'],
  maxMs: 1000,
  memory: { factor: 64, constantMB: 32 },
};

/** model.json and shard mutated together, read through the Node file handler. */
function tfjsShardTarget(): FuzzTarget {
  let folder: string | undefined;
  let n = 0;
  return {
    name: 'TF.js shards',
    seeds: async () => {
      const { files } = await tinyTfjs();
      const shard = Object.keys(files).find((f) => f.endsWith('.bin'))!;
      return [files[shard]];
    },
    edits: {},
    run: async (bytes, name) => {
      const { dir, files } = await tinyTfjs();
      folder ??= await mkdtemp(join(dir, 'cases-'));
      const caseDir = join(folder, String(n++ % 4));
      await mkdir(caseDir, { recursive: true });
      const shard = Object.keys(files).find((f) => f.endsWith('.bin'))!;
      // Every file of the saved model, with the first shard replaced by the mutated bytes.
      for (const [file, content] of Object.entries(files))
        await writeFile(join(caseDir, file), file === shard ? bytes : content);
      void name;
      await fileSystemHandler(caseDir).load();
    },
    names: (message) => message.includes('cases-'),
    errors: ['TfjsFormatError'],
    maxMs: 2000,
    memory: { factor: 16, constantMB: 64 },
    close: async () => {
      if (tfjsFiles) await rm((await tfjsFiles).dir, { recursive: true, force: true });
      tfjsFiles = undefined;
    },
  };
}

function stateJsonTarget(): FuzzTarget {
  let dir: string | undefined;
  return {
    name: 'run state.json',
    seeds: async () => [
      text(
        JSON.stringify(
          {
            version: 1,
            step: 12,
            finished: false,
            data: { epoch: 0, position: 96, order: null, rng: [1, 2, 3, 4] },
            plan: {
              schedule: [2, 4, 6, 8, 10],
              batchSize: 8,
              baseLr: 0.003,
              momentum: 0.9,
              crop: 32,
              precrop: 40,
              mixupAlpha: 0,
              totalSteps: 10,
            },
            mode: 'full',
            seed: 1,
            mixupAlpha: 0,
            resolution: { precrop: 40, crop: 32 },
            classes: ['blue', 'green', 'red'],
            batchSplit: 1,
            savedAt: '2026-01-01T00:00:00.000Z',
          },
          null,
          2,
        ),
      ),
    ],
    edits: TEXT_EDITS,
    run: async (bytes, name) => {
      dir ??= await mkdtemp(join(tmpdir(), 'bit-fuzz-run-'));
      await mkdir(join(dir, 'checkpoint'), { recursive: true });
      await writeFile(join(dir, 'checkpoint', 'state.json'), bytes);
      void name;
      await new NodeRunStore(dir).readState();
    },
    names: (message) => message.includes(join('checkpoint', 'state.json')),
    errors: ['CheckpointError'],
    maxMs: 1000,
    memory: { factor: 64, constantMB: 32 },
    close: async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Every target, in table order. */
export function allTargets(): FuzzTarget[] {
  return [
    npzTarget,
    npyTarget,
    imageTarget('png', 'js'),
    imageTarget('png', 'sharp'),
    imageTarget('jpeg', 'js'),
    imageTarget('jpeg', 'sharp'),
    idxTarget,
    cifarTarget,
    csvTarget,
    jsonlTarget,
    modelJsonTarget,
    tfjsShardTarget(),
    stateJsonTarget(),
  ];
}
