/**
 * TF.js LayersModel format on disk: fileSystemHandler round trips (directory and model.json
 * paths, float32/float16, shards), atomic saves under injected failures, every typed load
 * error, sniffTfjsPath, and tensor leaks.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { tf, useBackend } from '../../../test-utils/backends';
import { loadTfjs, saveTfjs, TfjsFormatError, type TfjsFormatErrorCode } from '../src/formats/tfjs';
import {
  fileSystemHandler,
  nodeFileSystem,
  sniffTfjsPath,
  type TfjsFileSystem,
} from '../src/formats/tfjs/node';

function buildModel(seed = 1): tfl.LayersModel {
  const input = tfl.input({ shape: [5, 5, 2] });
  let x = tfl.layers.conv2d({ filters: 6, kernelSize: 3 }).apply(input);
  x = tfl.layers.layerNormalization({ axis: -1 }).apply(x);
  x = tfl.layers.flatten().apply(x);
  const output = tfl.layers.dense({ units: 3 }).apply(x) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: output });
  const values = model.weights.map((w, i) =>
    tf.randomNormal(w.shape as number[], 0, 0.5, 'float32', seed * 100 + i),
  );
  model.setWeights(values);
  tf.dispose(values);
  model.setUserDefinedMetadata({ bit: { classNames: ['a', 'b', 'c'], seed } });
  return model;
}

function weightValues(model: tfl.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

function predict(model: tfl.LayersModel): Float32Array {
  return tf.tidy(() => {
    const x = tf.randomUniform([2, 5, 5, 2], 0, 1, 'float32', 3);
    return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
  });
}

async function expectCode(
  p: Promise<unknown>,
  code: TfjsFormatErrorCode,
): Promise<TfjsFormatError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TfjsFormatError);
  expect((e as TfjsFormatError).code).toBe(code);
  expect((e as Error).name).toBe('TfjsFormatError');
  return e as TfjsFormatError;
}

let root: string;
let work: string;
let counter = 0;

beforeAll(async () => {
  await useBackend('cpu');
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'bit-tfjs-format-'));
});

afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

beforeEach(async () => {
  work = path.join(root, `case-${++counter}`);
  await fsp.mkdir(work);
});

describe('fileSystemHandler round trip', () => {
  it('float32: bitwise weights, identical predictions, metadata, converter file names', async () => {
    const model = buildModel();
    const dir = path.join(work, 'model');
    const result = await saveTfjs(model, fileSystemHandler(dir));
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(model.countParams() * 4);
    expect((await fsp.readdir(dir)).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    expect((await fsp.stat(path.join(dir, 'group1-shard1of1.bin'))).size).toBe(
      model.countParams() * 4,
    );
    const json = JSON.parse(await fsp.readFile(path.join(dir, 'model.json'), 'utf8'));
    expect(json.weightsManifest[0].paths).toEqual(['group1-shard1of1.bin']);
    expect(json.userDefinedMetadata).toEqual({ bit: { classNames: ['a', 'b', 'c'], seed: 1 } });

    const loaded = await loadTfjs(fileSystemHandler(dir));
    const before = weightValues(model);
    weightValues(loaded).forEach((w, i) => {
      expect(new Uint32Array(w.buffer, w.byteOffset, w.length)).toEqual(
        new Uint32Array(before[i].buffer, before[i].byteOffset, before[i].length),
      );
    });
    expect(predict(loaded)).toEqual(predict(model));
    expect(loaded.getUserDefinedMetadata()).toEqual(model.getUserDefinedMetadata());
    // Nothing but the model is left in the parent: no temporary directories.
    expect(await fsp.readdir(work)).toEqual(['model']);
    model.dispose();
    loaded.dispose();
  });

  it('float16: half the bytes on disk, weights within float16 rounding, predictions close', async () => {
    const model = buildModel(2);
    const d32 = path.join(work, 'f32');
    const d16 = path.join(work, 'f16');
    await saveTfjs(model, fileSystemHandler(d32));
    await saveTfjs(model, fileSystemHandler(d16), { dtype: 'float16' });
    const size = async (d: string) => (await fsp.stat(path.join(d, 'group1-shard1of1.bin'))).size;
    expect(await size(d16)).toBe((await size(d32)) / 2);
    const loaded = await loadTfjs(fileSystemHandler(d16));
    const original = weightValues(model);
    weightValues(loaded).forEach((w, i) => {
      for (let j = 0; j < w.length; j++) {
        const v = original[i][j];
        const bound = Math.abs(v) >= 2 ** -14 ? 2 ** -11 * Math.abs(v) : 2 ** -25;
        expect(Math.abs(w[j] - v)).toBeLessThanOrEqual(bound);
      }
    });
    const p16 = predict(loaded);
    const p32 = predict(model);
    const scale = Math.max(...Array.from(p32, Math.abs));
    p16.forEach((v, i) => expect(Math.abs(v - p32[i])).toBeLessThan(5e-3 * scale));
    expect(loaded.getUserDefinedMetadata()).toEqual(model.getUserDefinedMetadata());
    model.dispose();
    loaded.dispose();
  });

  it('writes many shards that reassemble, and accepts a path to model.json', async () => {
    const model = buildModel(4);
    const total = model.countParams() * 4;
    const jsonPath = path.join(work, 'm', 'model.json');
    await saveTfjs(model, fileSystemHandler(jsonPath), { shardBytes: 200 });
    const n = Math.ceil(total / 200);
    const names = Array.from({ length: n }, (_, i) => `group1-shard${i + 1}of${n}.bin`);
    const dir = path.dirname(jsonPath);
    expect((await fsp.readdir(dir)).sort()).toEqual([...names, 'model.json'].sort());
    for (const [i, name] of names.entries()) {
      const size = (await fsp.stat(path.join(dir, name))).size;
      expect(size).toBe(i < n - 1 ? 200 : total - 200 * (n - 1));
    }
    for (const target of [jsonPath, dir]) {
      const loaded = await loadTfjs(fileSystemHandler(target));
      const before = weightValues(model);
      weightValues(loaded).forEach((w, i) => expect(w).toEqual(before[i]));
      loaded.dispose();
    }
    model.dispose();
  });

  it('works with plain model.save / tfl.loadLayersModel and its own shard size', async () => {
    const model = buildModel(5);
    const dir = path.join(work, 'plain');
    await model.save(fileSystemHandler(dir, { shardBytes: 128 }));
    const n = Math.ceil((model.countParams() * 4) / 128);
    expect((await fsp.readdir(dir)).length).toBe(n + 1);
    const loaded = await tfl.loadLayersModel(fileSystemHandler(dir));
    expect(predict(loaded)).toEqual(predict(model));
    model.dispose();
    loaded.dispose();
  });

  it('replaces an existing model atomically and leaves no old directory behind', async () => {
    const a = buildModel(6);
    const b = buildModel(7);
    const dir = path.join(work, 'model');
    await saveTfjs(a, fileSystemHandler(dir), { shardBytes: 64 });
    await saveTfjs(b, fileSystemHandler(dir)); // fewer shards: stale ones must not survive
    expect((await fsp.readdir(dir)).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    expect(await fsp.readdir(work)).toEqual(['model']);
    const loaded = await loadTfjs(fileSystemHandler(dir));
    expect(predict(loaded)).toEqual(predict(b));
    [a, b, loaded].forEach((m) => m.dispose());
  });
});

describe('atomic save under failure', () => {
  /** Node's fs, except that `open(…, 'w')` fails for the `failOn`-th file written. */
  function failingFs(failOn: number): TfjsFileSystem {
    let writes = 0;
    return {
      ...nodeFileSystem,
      open: async (file, flags) => {
        if (flags === 'w' && ++writes === failOn) {
          const handle = await nodeFileSystem.open(file, flags);
          return {
            writeFile: async (data) => {
              await handle.writeFile(data.subarray(0, data.length >> 1)); // half-written
              throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
            },
            sync: () => handle.sync(),
            close: () => handle.close(),
          };
        }
        return nodeFileSystem.open(file, flags);
      },
    };
  }

  it('a write failing mid-way keeps the previous model and removes the temp dir', async () => {
    const old = buildModel(8);
    const next = buildModel(9);
    const dir = path.join(work, 'model');
    await saveTfjs(old, fileSystemHandler(dir), { shardBytes: 100 });
    const oldFiles = (await fsp.readdir(dir)).sort();
    const e = await expectCode(
      saveTfjs(next, fileSystemHandler(dir, { fs: failingFs(2) }), { shardBytes: 100 }),
      'write-failed',
    );
    expect(e.message).toContain('ENOSPC');
    expect(e.message).toContain(dir);
    expect(await fsp.readdir(work)).toEqual(['model']);
    expect((await fsp.readdir(dir)).sort()).toEqual(oldFiles);
    const loaded = await loadTfjs(fileSystemHandler(dir));
    expect(predict(loaded)).toEqual(predict(old));
    [old, next, loaded].forEach((m) => m.dispose());
  });

  it('a failure on a fresh target leaves nothing behind', async () => {
    const model = buildModel(10);
    const dir = path.join(work, 'fresh');
    await expectCode(saveTfjs(model, fileSystemHandler(dir, { fs: failingFs(1) })), 'write-failed');
    expect(await fsp.readdir(work)).toEqual([]);
    model.dispose();
  });

  it('a failing final rename restores the previous model', async () => {
    const old = buildModel(11);
    const next = buildModel(12);
    const dir = path.join(work, 'model');
    await saveTfjs(old, fileSystemHandler(dir));
    const renameFails: TfjsFileSystem = {
      ...nodeFileSystem,
      rename: async (from, to) => {
        if (path.basename(from).includes('.tmp-')) throw new Error('EXDEV: cross-device link');
        return nodeFileSystem.rename(from, to);
      },
    };
    await expectCode(saveTfjs(next, fileSystemHandler(dir, { fs: renameFails })), 'write-failed');
    expect(await fsp.readdir(work)).toEqual(['model']);
    const loaded = await loadTfjs(fileSystemHandler(dir));
    expect(predict(loaded)).toEqual(predict(old));
    [old, next, loaded].forEach((m) => m.dispose());
  });

  it('refuses to replace a directory holding other files, or a file', async () => {
    const model = buildModel();
    await fsp.writeFile(path.join(work, 'notes.txt'), 'keep me');
    const e = await expectCode(saveTfjs(model, fileSystemHandler(work)), 'unsafe-target');
    expect(e.message).toContain('notes.txt');
    expect(await fsp.readFile(path.join(work, 'notes.txt'), 'utf8')).toBe('keep me');
    await expectCode(
      saveTfjs(model, fileSystemHandler(path.join(work, 'notes.txt', 'x'))),
      'write-failed',
    );
    const file = path.join(work, 'plainfile');
    await fsp.writeFile(file, 'x');
    await expectCode(saveTfjs(model, fileSystemHandler(file)), 'unsafe-target');
    model.dispose();
  });
});

describe('typed load errors', () => {
  async function savedModel(shardBytes = 100): Promise<string> {
    const model = buildModel(13);
    const dir = path.join(work, 'model');
    await saveTfjs(model, fileSystemHandler(dir), { shardBytes });
    model.dispose();
    return dir;
  }

  it('missing model.json (directory or file path)', async () => {
    const e1 = await expectCode(
      loadTfjs(fileSystemHandler(path.join(work, 'nope'))),
      'model-json-not-found',
    );
    expect(e1.path).toBe(path.join(work, 'nope', 'model.json'));
    expect(e1.message).toContain(path.join(work, 'nope', 'model.json'));
    await expectCode(
      loadTfjs(fileSystemHandler(path.join(work, 'x.json'))),
      'model-json-not-found',
    );
  });

  it('invalid JSON and JSON that is no LayersModel', async () => {
    const dir = await savedModel();
    const jsonPath = path.join(dir, 'model.json');
    const good = await fsp.readFile(jsonPath, 'utf8');
    await fsp.writeFile(jsonPath, good.slice(0, good.length - 10));
    const e = await expectCode(loadTfjs(fileSystemHandler(dir)), 'invalid-json');
    expect(e.message).toContain(jsonPath);

    const parsed = JSON.parse(good);
    const variants: [unknown, RegExp][] = [
      [{ ...parsed, weightsManifest: undefined }, /weightsManifest/],
      [{ ...parsed, modelTopology: 3 }, /modelTopology/],
      [
        { ...parsed, weightsManifest: [{ paths: ['../../etc/passwd'], weights: [] }] },
        /relative path/,
      ],
      [{ ...parsed, weightsManifest: [{ paths: ['/abs.bin'], weights: [] }] }, /relative path/],
      [
        {
          ...parsed,
          weightsManifest: [{ paths: [], weights: [{ name: 'w', shape: [-1], dtype: 'float32' }] }],
        },
        /weightsManifest\[0\]\.weights\[0\]\.shape/,
      ],
      // Well-formed JSON whose topology tfjs-layers cannot build: named, not a bare tfjs error.
      [{ ...parsed, modelTopology: { foo: 1 } }, /model\.json.*not a loadable LayersModel/],
    ];
    for (const [json, message] of variants) {
      await fsp.writeFile(jsonPath, JSON.stringify(json));
      const err = await expectCode(loadTfjs(fileSystemHandler(dir)), 'bad-model-json');
      expect(err.message).toMatch(message);
    }
  });

  it('a missing shard is named', async () => {
    const dir = await savedModel();
    const files = (await fsp.readdir(dir)).filter((f) => f.endsWith('.bin')).sort();
    expect(files.length).toBeGreaterThan(2);
    await fsp.rm(path.join(dir, files[1]));
    const e = await expectCode(loadTfjs(fileSystemHandler(dir)), 'shard-not-found');
    expect(e.message).toContain(files[1]);
    expect(e.path).toBe(path.join(dir, files[1]));
  });

  it('shards shorter or longer than the manifest needs', async () => {
    const dir = await savedModel();
    const files = (await fsp.readdir(dir)).filter((f) => f.endsWith('.bin')).sort();
    const last = path.join(dir, files[files.length - 1]);
    const bytes = await fsp.readFile(last);
    await fsp.writeFile(last, bytes.subarray(0, bytes.length - 3));
    const short = await expectCode(loadTfjs(fileSystemHandler(dir)), 'shard-size-mismatch');
    expect(short.message).toContain(files[files.length - 1]);
    await fsp.writeFile(last, Buffer.concat([bytes, Buffer.from([1, 2, 3, 4])]));
    await expectCode(loadTfjs(fileSystemHandler(dir)), 'shard-size-mismatch');
  });
});

describe('sniffTfjsPath', () => {
  it('recognises model directories and model.json files only', async () => {
    const model = buildModel();
    const dir = path.join(work, 'model');
    await saveTfjs(model, fileSystemHandler(dir));
    model.dispose();
    expect(await sniffTfjsPath(dir)).toBe(true);
    expect(await sniffTfjsPath(path.join(dir, 'model.json'))).toBe(true);
    expect(await sniffTfjsPath(path.join(dir, 'group1-shard1of1.bin'))).toBe(false);
    expect(await sniffTfjsPath(work)).toBe(false);
    expect(await sniffTfjsPath(path.join(work, 'missing'))).toBe(false);
    const npz = path.resolve(__dirname, 'fixtures', 'bit-tiny', 'weights.npz');
    if (fs.existsSync(npz)) expect(await sniffTfjsPath(npz)).toBe(false);
  });
});

describe('resources', () => {
  it('leaks no tensors over save/load cycles on disk', async () => {
    const model = buildModel(14);
    const dir = path.join(work, 'model');
    const warm = await saveTfjs(model, fileSystemHandler(dir)).then(() =>
      loadTfjs(fileSystemHandler(dir)),
    );
    warm.dispose();
    const start = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      await saveTfjs(model, fileSystemHandler(dir), {
        dtype: i % 2 ? 'float16' : 'float32',
        shardBytes: 96,
      });
      const loaded = await loadTfjs(fileSystemHandler(dir));
      predict(loaded);
      loaded.dispose();
    }
    expect(tf.memory().numTensors).toBe(start);
    model.dispose();
  });
});
