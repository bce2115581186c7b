/**
 * TF.js LayersModel format, isomorphic part: saveTfjs / loadTfjs through in-memory tf.io
 * handlers (float32 bitwise, float16 rounding against a float64 reference, shards,
 * user-defined metadata), sniffing, typed errors, tensor leaks, and the wasm backend.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { tf, useBackend } from '../../../test-utils/backends';
import {
  loadTfjs,
  prepareTfjsArtifacts,
  saveTfjs,
  sniffTfjs,
  TfjsFormatError,
  type SaveTfjsOptions,
} from '../src/formats/tfjs';

/** A small functional model from standard layers, with every weight random (seeded). */
function buildModel(seed = 1): tfl.LayersModel {
  const input = tfl.input({ shape: [6, 6, 3] });
  let x = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(input);
  x = tfl.layers.layerNormalization({ axis: -1 }).apply(x);
  x = tfl.layers.reLU().apply(x);
  x = tfl.layers.globalAveragePooling2d({}).apply(x);
  const output = tfl.layers.dense({ units: 5 }).apply(x) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: output });
  const values = model.weights.map((w, i) =>
    tf.randomNormal(w.shape as number[], 0, 0.7, 'float32', seed * 100 + i),
  );
  model.setWeights(values);
  tf.dispose(values);
  return model;
}

function weightValues(model: tfl.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

function predict(model: tfl.LayersModel, seed = 7): Float32Array {
  return tf.tidy(() => {
    const x = tf.randomUniform([2, 6, 6, 3], 0, 1, 'float32', seed);
    return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
  });
}

/** Captures the artifacts a save hands to its target. */
function memoryTarget(): { handler: tf.io.IOHandler; artifacts: () => tf.io.ModelArtifacts } {
  let captured: tf.io.ModelArtifacts | undefined;
  const handler = tf.io.withSaveHandler(async (a) => {
    captured = a;
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
  });
  return {
    handler,
    artifacts: () => {
      if (!captured) throw new Error('nothing saved');
      return captured;
    },
  };
}

async function roundTrip(
  model: tfl.LayersModel,
  options?: SaveTfjsOptions,
): Promise<{ loaded: tfl.LayersModel; artifacts: tf.io.ModelArtifacts }> {
  const target = memoryTarget();
  await saveTfjs(model, target.handler, options);
  const artifacts = target.artifacts();
  const loaded = await loadTfjs(tf.io.fromMemory(artifacts));
  return { loaded, artifacts };
}

function byteLength(data: tf.io.WeightData | undefined): number {
  if (data === undefined) return 0;
  return Array.isArray(data) ? data.reduce((n, b) => n + b.byteLength, 0) : data.byteLength;
}

/** float64 reference of float32 -> float16 rounding (nearest, ties to even). */
function roundToFloat16(v: number): number {
  const a = Math.abs(v);
  if (a === 0 || !Number.isFinite(a)) return v;
  const exponent = Math.max(Math.floor(Math.log2(a)), -14); // subnormals share 2^-24 spacing
  const ulp = 2 ** (exponent - 10);
  const q = a / ulp;
  const floor = Math.floor(q);
  const rest = q - floor;
  const rounded = rest > 0.5 || (rest === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
  return Math.sign(v) * rounded * ulp;
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

beforeAll(async () => {
  await useBackend('cpu');
});

describe('saveTfjs / loadTfjs (float32)', () => {
  it('round-trips weights bitwise and predictions exactly', async () => {
    const model = buildModel();
    const { loaded, artifacts } = await roundTrip(model);
    expect(artifacts.weightSpecs!.every((s) => s.quantization === undefined)).toBe(true);
    const before = weightValues(model);
    const after = weightValues(loaded);
    expect(after.length).toBe(before.length);
    after.forEach((w, i) => {
      expect(new Uint32Array(w.buffer, w.byteOffset, w.length)).toEqual(
        new Uint32Array(before[i].buffer, before[i].byteOffset, before[i].length),
      );
    });
    expect(predict(loaded)).toEqual(predict(model));
    model.dispose();
    loaded.dispose();
  });

  it('keeps user-defined metadata', async () => {
    const model = buildModel();
    const meta = { bit: { classNames: ['cat', 'dog', 'émeu'], arch: 'R50x1', step: 500 } };
    model.setUserDefinedMetadata(meta);
    for (const dtype of ['float32', 'float16'] as const) {
      const { loaded } = await roundTrip(model, { dtype });
      expect(loaded.getUserDefinedMetadata()).toEqual(meta);
      loaded.dispose();
    }
    model.dispose();
  });

  it('splits the weight data into shards of at most shardBytes that reassemble', async () => {
    const model = buildModel(3);
    const total = model.countParams() * 4;
    const shardBytes = 52; // not a multiple of 4: weights are cut across shards
    const { loaded, artifacts } = await roundTrip(model, { shardBytes });
    const shards = artifacts.weightData as ArrayBuffer[];
    expect(Array.isArray(shards)).toBe(true);
    expect(shards.length).toBe(Math.ceil(total / shardBytes));
    expect(shards.slice(0, -1).every((s) => s.byteLength === shardBytes)).toBe(true);
    expect(byteLength(shards)).toBe(total);
    const before = weightValues(model);
    weightValues(loaded).forEach((w, i) => expect(w).toEqual(before[i]));
    model.dispose();
    loaded.dispose();
  });

  it('one shard when the weights fit, none for a model without weights', async () => {
    const model = buildModel();
    const { loaded, artifacts } = await roundTrip(model);
    expect((artifacts.weightData as ArrayBuffer[]).length).toBe(1);
    loaded.dispose();
    model.dispose();
    const input = tfl.input({ shape: [3] });
    const bare = tfl.model({
      inputs: input,
      outputs: tfl.layers.reLU().apply(input) as tfl.SymbolicTensor,
    });
    const { loaded: bareLoaded, artifacts: bareArtifacts } = await roundTrip(bare);
    expect(bareArtifacts.weightData).toEqual([]);
    expect(bareLoaded.weights.length).toBe(0);
    bare.dispose();
    bareLoaded.dispose();
  });
});

describe('saveTfjs / loadTfjs (float16)', () => {
  it('halves the weight bytes, rounds to nearest even, predicts closely', async () => {
    const model = buildModel(5);
    const f32 = await roundTrip(model);
    const f16 = await roundTrip(model, { dtype: 'float16' });
    expect(byteLength(f16.artifacts.weightData)).toBe(byteLength(f32.artifacts.weightData) / 2);
    for (const spec of f16.artifacts.weightSpecs!) {
      expect(spec.dtype).toBe('float32');
      expect(spec.quantization).toEqual({ dtype: 'float16' });
    }
    const original = weightValues(model);
    weightValues(f16.loaded).forEach((w, i) => {
      for (let j = 0; j < w.length; j++) {
        const v = original[i][j];
        expect(w[j]).toBe(roundToFloat16(v));
        if (Math.abs(v) >= 2 ** -14)
          expect(Math.abs(w[j] - v)).toBeLessThanOrEqual(2 ** -11 * Math.abs(v));
      }
    });
    expect(maxRelDiff(predict(f16.loaded), predict(model))).toBeLessThan(5e-3);
    expect(maxRelDiff(predict(f16.loaded), predict(model))).toBeGreaterThan(0);
    model.dispose();
    f32.loaded.dispose();
    f16.loaded.dispose();
  });

  it('breaks ties to even, handles subnormals, keeps out-of-range weights in float32', async () => {
    const input = tfl.input({ shape: [2] });
    const dense = tfl.layers.dense({ units: 4 });
    const big = tfl.layers.dense({ units: 1 });
    const out = big.apply(dense.apply(input)) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    const ties = [
      1 + 2 ** -11, // halfway between 1 and 1+2^-10: even is 1
      1 + 3 * 2 ** -11, // halfway between 1+2^-10 and 1+2^-9: even is 1+2^-9
      -(2 ** -25), // halfway between 0 and 2^-24: even is 0 (sign kept)
      1.5 * 2 ** -24, // halfway between 2^-24 and 2^-23: even is 2^-23
      65504,
      65519, // rounds down to the largest float16
      2 ** -14 - 2 ** -25, // just below the smallest normal
      -3.1415927,
    ];
    const kernel = tf.tensor2d(ties, [2, 4]);
    const bias = tf.tensor1d([0.1, 0.2, 0.3, 0.4]);
    const bigKernel = tf.tensor2d([70000, 1, 2, 3], [4, 1]); // 70000 is beyond float16
    const bigBias = tf.tensor1d([0.5]);
    model.setWeights([kernel, bias, bigKernel, bigBias]);
    const { loaded, artifacts } = await roundTrip(model, { dtype: 'float16' });
    const specs = artifacts.weightSpecs!;
    expect(specs.map((s) => s.quantization?.dtype ?? null)).toEqual([
      'float16',
      'float16',
      null,
      'float16',
    ]);
    const [k, , bk] = weightValues(loaded);
    expect(Array.from(k)).toEqual([
      1,
      1 + 2 ** -9,
      -0,
      2 ** -23,
      65504,
      65504,
      2 ** -14,
      -3.140625,
    ]);
    expect(Object.is(k[2], -0)).toBe(true);
    expect(Array.from(bk)).toEqual([70000, 1, 2, 3]);
    tf.dispose([kernel, bias, bigKernel, bigBias]);
    model.dispose();
    loaded.dispose();
  });

  it('prepareTfjsArtifacts leaves non-float32 and already quantised weights alone', () => {
    const specs: tf.io.WeightsManifestEntry[] = [
      { name: 'a', shape: [2], dtype: 'int32' },
      { name: 'b', shape: [1], dtype: 'float32', quantization: { dtype: 'float16' } },
      { name: 'c', shape: [1], dtype: 'float32' },
    ];
    const data = new Uint8Array(8 + 2 + 4);
    new Int32Array(data.buffer, 0, 2).set([7, -9]);
    new Uint16Array(data.buffer, 8, 1).set([0x3c00]);
    new DataView(data.buffer).setFloat32(10, 0.5, true);
    const out = prepareTfjsArtifacts(
      { weightSpecs: specs, weightData: data.buffer },
      { dtype: 'float16' },
    );
    expect(out.weightSpecs!.map((s) => s.quantization?.dtype ?? null)).toEqual([
      null,
      'float16',
      'float16',
    ]);
    const decoded = tf.io.decodeWeights(out.weightData!, out.weightSpecs!);
    expect(Array.from(decoded.a.dataSync())).toEqual([7, -9]);
    expect(Array.from(decoded.b.dataSync())).toEqual([1]);
    expect(Array.from(decoded.c.dataSync())).toEqual([0.5]);
    tf.dispose(Object.values(decoded));
  });
});

describe('typed errors', () => {
  it('refuses bad options and unknown URLs', async () => {
    const model = buildModel();
    const target = memoryTarget().handler;
    const err = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => e,
      );
    const bad = [
      await err(saveTfjs(model, target, { dtype: 'int8' as never })),
      await err(saveTfjs(model, target, { shardBytes: 0 })),
      await err(saveTfjs(model, target, { shardBytes: 1.5 })),
    ];
    for (const e of bad) {
      expect(e).toBeInstanceOf(TfjsFormatError);
      expect((e as TfjsFormatError).code).toBe('bad-option');
    }
    expect((bad[0] as Error).message).toMatch(/dtype/);
    expect((bad[1] as Error).message).toMatch(/shardBytes/);
    const noSave = await err(saveTfjs(model, 'nosuchscheme://m'));
    expect(noSave).toBeInstanceOf(TfjsFormatError);
    expect((noSave as TfjsFormatError).code).toBe('no-handler');
    expect((noSave as Error).message).toContain('nosuchscheme://m');
    const noLoad = await err(loadTfjs('nosuchscheme://m'));
    expect((noLoad as TfjsFormatError).code).toBe('no-handler');
    const loadOnly = await err(saveTfjs(model, { load: async () => ({}) }));
    expect((loadOnly as TfjsFormatError).code).toBe('no-handler');
    const saveOnly = await err(loadTfjs(target));
    expect((saveOnly as TfjsFormatError).code).toBe('no-handler');
    expect((saveOnly as Error).name).toBe('TfjsFormatError');
    model.dispose();
  });
});

describe('sniffTfjs', () => {
  const json = JSON.stringify({
    modelTopology: { class_name: 'Functional', config: {} },
    format: 'layers-model',
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [] }],
  });
  const bytes = (s: string) => new TextEncoder().encode(s);

  it('recognises a whole model.json and a prefix of one', () => {
    expect(sniffTfjs('model.json', bytes(json))).toBe(true);
    expect(sniffTfjs('model.json', bytes('\ufeff  \n' + json))).toBe(true);
    expect(sniffTfjs('model.json', bytes(json.slice(0, 40)))).toBe(true);
  });

  it('rejects other JSON, graph models, binaries and empty heads', () => {
    expect(sniffTfjs('x.json', bytes('{"modelTopology": {}}'))).toBe(false); // no weightsManifest
    expect(sniffTfjs('x.json', bytes('{"weightsManifest": []}'))).toBe(false);
    expect(sniffTfjs('x.json', bytes('[1, 2, 3]'))).toBe(false);
    const graph = JSON.stringify({ format: 'graph-model', modelTopology: {}, weightsManifest: [] });
    expect(sniffTfjs('model.json', bytes(graph))).toBe(false);
    expect(sniffTfjs('model.json', bytes(graph.slice(0, 50)))).toBe(false);
    expect(sniffTfjs('w.npz', new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]))).toBe(false);
    expect(sniffTfjs('model.json', new Uint8Array(0))).toBe(false);
    expect(sniffTfjs('model.json', null)).toBe(false);
  });

  it('recognises a directory by its entries', () => {
    expect(sniffTfjs('out/model', null, ['group1-shard1of1.bin', 'model.json'])).toBe(true);
    expect(sniffTfjs('out/model', null, ['weights.npz'])).toBe(false);
  });
});

describe('resources', () => {
  it('leaks no tensors over save/load cycles', async () => {
    const model = buildModel();
    // Warm up (first predict/load may create lazily cached tensors).
    const warm = await roundTrip(model, { dtype: 'float16', shardBytes: 64 });
    warm.loaded.dispose();
    const start = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      for (const dtype of ['float32', 'float16'] as const) {
        const { loaded } = await roundTrip(model, { dtype, shardBytes: 100 });
        predict(loaded);
        loaded.dispose();
      }
    }
    expect(tf.memory().numTensors).toBe(start);
    model.dispose();
  });
});

describe('wasm backend', () => {
  afterAll(async () => {
    await useBackend('cpu');
  });

  it('saves and loads on wasm (float32 bitwise, float16 close)', async () => {
    await useBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const model = buildModel(11);
    const f32 = await roundTrip(model);
    const f16 = await roundTrip(model, { dtype: 'float16' });
    const reference = predict(model);
    expect(predict(f32.loaded)).toEqual(reference);
    const before = weightValues(model);
    weightValues(f32.loaded).forEach((w, i) => expect(w).toEqual(before[i]));
    expect(maxRelDiff(predict(f16.loaded), reference)).toBeLessThan(5e-3);
    model.dispose();
    f32.loaded.dispose();
    f16.loaded.dispose();
  });
});
