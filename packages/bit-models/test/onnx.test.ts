/**
 * ONNX export + the onnx engine: the fixture checkpoints and the embedded model, exported and
 * run in onnxruntime-node at its DEFAULT graph optimisation level, match the float64 references
 * to < 1e-4 relative L2; dynamic batch and size; headless models; the root-pool trap
 * (onnxruntime folds a zero Pad into the MaxPool after it, whose padding is -inf); typed errors.
 */
import { readFile, readdir, stat, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import * as tfl from '@tensorflow/tfjs-layers';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../../test-utils/backends';
import { relL2 } from '../../bit-layers/test/reference';
import {
  classify,
  exportOnnx,
  features,
  loadBiT,
  loadOnnx,
  OnnxBiTModel,
  OnnxRuntimeMissingError,
  CheckpointFormatError,
  predict,
  readOnnxHeader,
  readOnnxExternalLocations,
  saveBiT,
  writeNpzFile,
  EMBEDDED_MODEL,
  type BiTModel,
} from '@bit/models/node';
import { loadBiT as loadBiTAnywhere } from '@bit/models';
import { parseNpyReference } from './helpers/npz-reference';
import { randomWeights } from './helpers/random-weights';
import { referenceForward, type Weights } from './helpers/reference-resnet';
import { ROOT_CONV } from '../src/architecture/names';

const FIXTURES = join(__dirname, 'fixtures');
let work: string;

/** The members of an .npz as float64 arrays (the reference parser). */
async function readNpzReference(path: string) {
  const files = unzipSync(new Uint8Array(await readFile(path)));
  const out = new Map<string, { shape: number[]; data: Float64Array }>();
  for (const [name, bytes] of Object.entries(files)) {
    const npy = parseNpyReference(bytes);
    out.set(name.replace(/\.npy$/, ''), { shape: npy.shape, data: npy.values });
  }
  return out;
}

async function readNpy(path: string) {
  const npy = parseNpyReference(new Uint8Array(await readFile(path)));
  return {
    shape: npy.shape as [number, number, number, number],
    data: Float32Array.from(npy.values),
  };
}

/** A plain onnxruntime session with default options (graph optimisation level: all). */
async function plainRun(bytes: Uint8Array, x: { shape: readonly number[]; data: Float32Array }) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ image: new ort.Tensor('float32', x.data, [...x.shape]) });
    return Object.fromEntries(
      Object.entries(out).map(([k, v]) => [k, { dims: v.dims, data: v.data as Float32Array }]),
    );
  } finally {
    await session.release();
  }
}

beforeAll(async () => {
  await useBackend('cpu');
  work = await mkdtemp(join(tmpdir(), 'bit-onnx-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe.each(['bit-tiny', 'bit-odd-f16', 'bit-features'])('fixture %s in onnxruntime', (name) => {
  it('matches the float64 expected logits / pre-logits to < 1e-4 at the default optimisation level', async () => {
    const dir = join(FIXTURES, name);
    const model = await loadBiT(join(dir, 'weights.npz'));
    const bytes = await exportOnnx(model);
    model.dispose();
    const x = await readNpy(join(dir, 'input.npy'));
    const expected = await readNpzReference(join(dir, 'expected.npz'));
    const out = await plainRun(bytes, x);
    const keys = expected.has('logits') ? ['logits', 'prelogits'] : ['prelogits'];
    expect(Object.keys(out).sort()).toEqual([...keys].sort());
    for (const k of keys) {
      expect(out[k].dims).toEqual(expected.get(k)!.shape);
      expect(relL2(out[k].data, expected.get(k)!.data), k).toBeLessThan(1e-4);
    }
  });
});

describe('the embedded model', () => {
  it('exported, runs in onnxruntime and matches its float64 reference and the tfjs model', async () => {
    const fixture = join(FIXTURES, 'embedded');
    const expected = JSON.parse(await readFile(join(fixture, 'expected.json'), 'utf8')) as {
      logits: number[];
    };
    const inputs = await readNpzReference(join(fixture, 'input.npz'));
    const images = [...inputs.values()][0];
    const x = { shape: images.shape, data: Float32Array.from(images.data) };
    const onnx = await loadBiT(EMBEDDED_MODEL, { engine: 'onnx' });
    try {
      expect(onnx.metadata.labels).toBe('fashion-mnist-0-4');
      expect(onnx.metadata.resolution).toBe(32);
      const r = await onnx.run(x.data, x.shape as [number, number, number, number]);
      expect(relL2(r.data, expected.logits)).toBeLessThan(1e-4);
      const tfjsModel = await loadBiT(EMBEDDED_MODEL);
      const header = readOnnxHeader(await exportOnnx(tfjsModel))!;
      tfjsModel.dispose();
      expect(header.metadata.name).toBe(EMBEDDED_MODEL);
      expect(header.metadata.resolution).toBe('32');
      expect(JSON.parse(header.metadata.labels)).toBe('fashion-mnist-0-4');
    } finally {
      await onnx.dispose();
    }
  });
});

describe('dynamic batch and image size; headless export', () => {
  const arch = { units: [1, 2, 1, 1] as const, width: 0.5, numClasses: 7 };
  let weights: Weights;
  let bytes: Uint8Array;
  let headless: Uint8Array;
  beforeAll(async () => {
    weights = randomWeights(arch, 11, false);
    const file = join(work, 'dyn.npz');
    await writeNpzFile(
      file,
      [...weights].map(([n, w]) => ({ name: n, shape: w.shape, data: w.data as Float32Array })),
    );
    const model = await loadBiT(file);
    bytes = await exportOnnx(model);
    model.dispose();
    const features = await loadBiT(file, { numClasses: 0 });
    headless = await exportOnnx(features);
    features.dispose();
  });

  it('one session runs batches of 1 and 3 at 32x32, 45x39 and 64x48', async () => {
    const session = await OnnxBiTModel.create(bytes);
    try {
      for (const [n, h, w] of [
        [1, 32, 32],
        [3, 45, 39],
        [2, 64, 48],
      ]) {
        const data = Float32Array.from(
          { length: n * h * w * 3 },
          (_, i) => ((i * 7919) % 1000) / 999,
        );
        const ref = referenceForward(weights, [...arch.units], {
          shape: [n, h, w, 3],
          data: Float64Array.from(data),
        });
        const logits = await session.run(data, [n, h, w, 3]);
        expect(logits.shape).toEqual([n, 7]);
        expect(relL2(logits.data, ref.logits!.data)).toBeLessThan(1e-4);
        const pre = await session.run(data, [n, h, w, 3], 'prelogits');
        expect(pre.shape).toEqual([n, 1024]);
        expect(relL2(pre.data, ref.prelogits.data)).toBeLessThan(1e-4);
      }
    } finally {
      await session.dispose();
    }
  });

  it('a headless export has only pre-logits, and predict / features agree with tfjs', async () => {
    const header = readOnnxHeader(headless)!;
    expect(JSON.parse(header.metadata.bit).architecture.numClasses).toBe(0);
    const x = await readNpy(join(FIXTURES, 'bit-tiny', 'input.npy'));
    const out = await plainRun(headless, x);
    expect(Object.keys(out)).toEqual(['prelogits']);
    const ref = referenceForward(weights, [...arch.units], {
      shape: x.shape,
      data: Float64Array.from(x.data),
    });
    expect(relL2(out.prelogits.data, ref.prelogits.data)).toBeLessThan(1e-4);
  });
});

describe('the root-pool trap', () => {
  it('border windows with only negative values before the pool: right at the default level, and the literal zero Pad is wrong there', async () => {
    const model = await loadBiT(join(FIXTURES, 'bit-tiny', 'weights.npz'));
    const x = await readNpy(join(FIXTURES, 'bit-tiny', 'input.npy'));
    // The case: some 3x3 window at the top-left corner of the root conv output is all negative
    // in some channel, so zero padding (max 0) and -inf padding (max < 0) differ there.
    const sub = tfl.model({
      inputs: model.inputs,
      outputs: model.getLayer(ROOT_CONV).output as tfl.SymbolicTensor,
    });
    const corner = tf.tidy(() => {
      const conv = sub.predict(tf.tensor4d(x.data, x.shape)) as tf.Tensor4D;
      return tf.max(tf.slice(conv, [0, 0, 0, 0], [1, 2, 2, -1]), [1, 2]);
    });
    const cornerMax = (await corner.data()) as Float32Array;
    corner.dispose();
    expect(Array.from(cornerMax).some((v) => v < 0)).toBe(true);

    const expected = (await readNpzReference(join(FIXTURES, 'bit-tiny', 'expected.npz'))).get(
      'logits',
    )!.data;
    const right = await plainRun(await exportOnnx(model), x);
    expect(relL2(right.logits.data, expected)).toBeLessThan(1e-4);
    const literal = await plainRun(await exportOnnx(model, { rootPool: 'zero-pad' }), x);
    expect(relL2(literal.logits.data, expected)).toBeGreaterThan(1e-3);
    model.dispose();
  });
});

describe('the onnx engine behind the library API', () => {
  let tfjs: BiTModel;
  let onnx: OnnxBiTModel;
  beforeAll(async () => {
    tfjs = await loadBiT(EMBEDDED_MODEL);
    const file = join(work, 'embedded.onnx');
    await saveBiT(tfjs as never, file);
    onnx = await loadBiT(file, { engine: 'onnx', threads: 1 });
  });
  afterAll(async () => {
    await onnx.dispose();
    (tfjs as { dispose(): void }).dispose();
  });

  it('predict, features and classify agree with tfjs, leak no tensors', async () => {
    const x = tf.randomUniform([3, 32, 32, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const pixels = tf.randomUniform([40, 40, 3], 0, 255, 'int32', 6);
    const b = await predict(tfjs, x, { logits: true });
    const before = tf.memory().numTensors;
    const a = await predict(onnx, x, { logits: true });
    const fa = await onnx.features(x);
    const ca = await onnx.classify(pixels, { topK: 2 });
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < 3; i++) {
      expect(a[i].top.map((t) => t.index)).toEqual(b[i].top.map((t) => t.index));
      expect(a[i].top[0].label).toBe(b[i].top[0].label);
      expect(relL2(a[i].logits!, b[i].logits!)).toBeLessThan(1e-4);
    }
    const fb = await features(tfjs, x);
    expect(relL2(fa[0], fb[0])).toBeLessThan(1e-4);
    const cb = await classify(tfjs, pixels, { topK: 2 });
    expect(ca.map((t) => t.index)).toEqual(cb.map((t) => t.index));
    tf.dispose([x, pixels]);
  });

  it('loadOnnx takes bytes and a tfjs model too', async () => {
    const fromBytes = await loadOnnx(await exportOnnx(tfjs as never), { threads: 1 });
    expect(fromBytes.metadata).toEqual(onnx.metadata);
    await fromBytes.dispose();
    const fromModel = await loadOnnx(tfjs as never);
    expect(fromModel.metadata.architecture).toEqual(onnx.metadata.architecture);
    await fromModel.dispose();
  });
});

describe('external data (models over 2 GiB)', () => {
  it('saveBiT(..., { externalData: true }) writes <path>.data; plain onnxruntime and loadOnnx give the inline logits', async () => {
    const arch = { units: [1, 1, 1, 1] as const, width: 0.5, numClasses: 4 };
    const weights = randomWeights(arch, 5, false);
    const dir = join(work, 'external');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dir);
    const file = join(dir, 'w.npz');
    await writeNpzFile(
      file,
      [...weights].map(([n, w]) => ({ name: n, shape: w.shape, data: w.data as Float32Array })),
    );
    const model = await loadBiT(file);
    const inline = await exportOnnx(model);
    const out = join(dir, 'model.onnx');
    await saveBiT(model, out, { externalData: true });
    const params = model.countParams();
    model.dispose();

    // Two files, nothing temporary left; the weights are in the data file, 4096-aligned.
    expect((await readdir(dir)).sort()).toEqual(['model.onnx', 'model.onnx.data', 'w.npz']);
    const modelBytes = new Uint8Array(await readFile(out));
    const dataSize = (await stat(`${out}.data`)).size;
    expect(modelBytes.length).toBeLessThan(64 * 1024);
    expect(dataSize).toBeGreaterThanOrEqual(params * 4);
    expect(readOnnxExternalLocations(modelBytes)).toEqual(['model.onnx.data']);
    expect(readOnnxExternalLocations(inline)).toEqual([]);
    expect(readOnnxHeader(modelBytes)!.metadata).toEqual(readOnnxHeader(inline)!.metadata);

    const x = {
      shape: [2, 40, 36, 3] as const,
      data: Float32Array.from({ length: 2 * 40 * 36 * 3 }, (_, i) => ((i * 7919) % 1000) / 1000),
    };
    const expected = await plainRun(inline, x);
    // An independent reader: onnxruntime on the path, resolving the data file itself.
    const session = await ort.InferenceSession.create(out);
    const fromPath = await session.run({ image: new ort.Tensor('float32', x.data, [...x.shape]) });
    await session.release();
    expect(Array.from(fromPath.logits.data as Float32Array)).toEqual(
      Array.from(expected.logits.data),
    );
    const engine = await loadOnnx(out, { threads: 1 });
    const r = await engine.run(x.data, x.shape);
    await engine.dispose();
    expect(Array.from(r.data)).toEqual(Array.from(expected.logits.data));

    // A missing data file is a typed error naming it.
    await rm(`${out}.data`);
    await expect(loadOnnx(out)).rejects.toThrow(
      /model\.onnx.*external data file model\.onnx\.data cannot be read/,
    );
  });
});

describe("the isomorphic loadBiT(src, { engine: 'onnx', onnxruntime: module })", () => {
  it('runs a Blob .npz and ONNX bytes in the module it is given, as the Node loader does', async () => {
    const fixture = join(FIXTURES, 'bit-tiny');
    const expected = (await readNpzReference(join(fixture, 'expected.npz'))).get('logits')!.data;
    const x = await readNpy(join(fixture, 'input.npy'));
    const blob = new Blob([await readFile(join(fixture, 'weights.npz'))]);
    const viaBlob = await loadBiTAnywhere(blob, { engine: 'onnx', onnxruntime: ort });
    const a = await viaBlob.run(x.data, x.shape);
    await viaBlob.dispose();
    expect(relL2(a.data, expected)).toBeLessThan(1e-4);
    const tfjsModel = await loadBiT(join(fixture, 'weights.npz'));
    const bytes = await exportOnnx(tfjsModel);
    tfjsModel.dispose();
    const viaBytes = await loadBiTAnywhere(bytes, { engine: 'onnx', onnxruntime: ort });
    const b = await viaBytes.run(x.data, x.shape);
    await viaBytes.dispose();
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    await expect(
      loadBiTAnywhere(bytes, { engine: 'onnx', onnxruntime: ort, numClasses: 3 }),
    ).rejects.toThrow(/numClasses and labels cannot change an \.onnx model/);
    await expect(loadBiTAnywhere(blob, { engine: 'onyx' } as never)).rejects.toThrow(
      /engine must be 'tfjs' or 'onnx', got 'onyx'/,
    );
  });
});

describe('typed errors', () => {
  it('a missing onnxruntime: OnnxRuntimeMissingError naming the package and the install command', async () => {
    const err = await loadBiT(join(FIXTURES, 'bit-tiny', 'weights.npz'), {
      engine: 'onnx',
      onnxruntime: 'onnxruntime-not-installed',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OnnxRuntimeMissingError);
    expect((err as Error).message).toContain('onnxruntime-not-installed');
    expect((err as Error).message).toContain(
      'ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node',
    );
    expect((err as OnnxRuntimeMissingError).inputError).toBe(true);
  });

  it('a file that is no ONNX model, an ONNX model without BiT metadata, an .onnx for tfjs', async () => {
    const garbage = join(work, 'garbage.onnx');
    await writeFile(garbage, 'not a model at all');
    await expect(loadBiT(garbage, { engine: 'onnx' })).rejects.toThrow(CheckpointFormatError);
    await expect(loadBiT(garbage, { engine: 'onnx' })).rejects.toThrow(/not an ONNX model/);
    const truncated = join(work, 'truncated.onnx');
    const tiny = await loadBiT(join(FIXTURES, 'bit-tiny', 'weights.npz'));
    const bytes = await exportOnnx(tiny);
    await writeFile(truncated, bytes.subarray(0, bytes.length >> 1));
    await expect(loadBiT(truncated, { engine: 'onnx' })).rejects.toThrow(CheckpointFormatError);
    const good = join(work, 'tiny.onnx');
    await writeFile(good, bytes);
    await expect(loadBiT(good)).rejects.toThrow(/engine: 'onnx'/);
    tiny.dispose();
  });
});
