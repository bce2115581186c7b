/**
 * TF.js LayersModel format with BiT's custom layers (@bit/layers' StandardizedConv2D and
 * GroupNormalization): a BiT-shaped mini model survives save/load on disk, float32 bitwise
 * and float16 within rounding, with its metadata and without leaking tensors.
 */
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { groupNormalization, standardizedConv2d } from '@bit/layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { tf, useBackend } from '../../../test-utils/backends';
import { loadTfjs, saveTfjs } from '../src/formats/tfjs';
import { fileSystemHandler } from '../src/formats/tfjs/node';

/** Root conv, a pre-activation unit and a head, as in ResNetV2 (tiny widths). */
function buildBitLike(seed: number): tfl.LayersModel {
  const input = tfl.input({ shape: [9, 9, 3] });
  const root = standardizedConv2d({
    filters: 8,
    kernelSize: 3,
    padding: 1,
    useBias: false,
    name: 'root',
  });
  let x = root.apply(input) as tfl.SymbolicTensor;
  const preact = tfl.layers
    .reLU()
    .apply(groupNormalization({ groups: 4, epsilon: 1e-5, name: 'gn_a' }).apply(x));
  let y = standardizedConv2d({
    filters: 8,
    kernelSize: 3,
    padding: 1,
    useBias: false,
    name: 'conv_b',
  }).apply(preact);
  y = tfl.layers.add().apply([y as tfl.SymbolicTensor, x]) as tfl.SymbolicTensor;
  x = tfl.layers
    .reLU()
    .apply(groupNormalization({ groups: 2, name: 'gn_head' }).apply(y)) as tfl.SymbolicTensor;
  x = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
  const output = tfl.layers.dense({ units: 4, name: 'logits' }).apply(x) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: output });
  const values = model.weights.map((w, i) =>
    tf.add(
      tf.randomNormal(w.shape as number[], 0, 0.5, 'float32', seed * 100 + i),
      w.name.includes('gamma') ? 1 : 0,
    ),
  );
  model.setWeights(values);
  tf.dispose(values);
  return model;
}

function predict(model: tfl.LayersModel): Float32Array {
  return tf.tidy(() => {
    const x = tf.randomUniform([2, 9, 9, 3], 0, 1, 'float32', 5);
    return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
  });
}

let root: string;

beforeAll(async () => {
  await useBackend('cpu');
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'bit-tfjs-layers-'));
});

afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

describe('TF.js format with @bit/layers', () => {
  it('round-trips StandardizedConv2D + GroupNormalization models (float32 and float16)', async () => {
    const model = buildBitLike(1);
    const meta = { bit: { classNames: ['w', 'x', 'y', 'z'], architecture: 'mini' } };
    model.setUserDefinedMetadata(meta);
    const reference = predict(model);
    const d32 = path.join(root, 'f32');
    const d16 = path.join(root, 'f16');
    await saveTfjs(model, fileSystemHandler(d32), { shardBytes: 1000 });
    await saveTfjs(model, fileSystemHandler(d16), { dtype: 'float16', shardBytes: 1000 });

    const json = JSON.parse(await fsp.readFile(path.join(d32, 'model.json'), 'utf8'));
    const topology = json.modelTopology.model_config ?? json.modelTopology;
    const classNames = (topology.config.layers as { class_name: string }[]).map(
      (l) => l.class_name,
    );
    expect(classNames).toContain('StandardizedConv2D');
    expect(classNames).toContain('GroupNormalization');

    const l32 = await loadTfjs(fileSystemHandler(d32));
    const original = model.getWeights().map((w) => w.dataSync());
    expect(l32.weights.map((w) => w.originalName)).toEqual(
      model.weights.map((w) => w.originalName),
    );
    l32.getWeights().forEach((w, i) => expect(w.dataSync()).toEqual(original[i]));
    expect(predict(l32)).toEqual(reference);
    expect(l32.getUserDefinedMetadata()).toEqual(meta);

    const l16 = await loadTfjs(fileSystemHandler(d16));
    const p16 = predict(l16);
    let num = 0;
    let den = 0;
    p16.forEach((v, i) => {
      num += (v - reference[i]) ** 2;
      den += reference[i] ** 2;
    });
    expect(Math.sqrt(num / den)).toBeLessThan(5e-3);
    expect(l16.getUserDefinedMetadata()).toEqual(meta);
    [model, l32, l16].forEach((m) => m.dispose());
  });

  it('leaks no tensors when loading, predicting and disposing repeatedly', async () => {
    const model = buildBitLike(2);
    const dir = path.join(root, 'leak');
    await saveTfjs(model, fileSystemHandler(dir));
    model.dispose();
    const warm = await loadTfjs(fileSystemHandler(dir));
    predict(warm);
    warm.dispose();
    const start = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const loaded = await loadTfjs(fileSystemHandler(dir));
      predict(loaded);
      await saveTfjs(loaded, fileSystemHandler(dir), { dtype: 'float16' });
      loaded.dispose();
    }
    expect(tf.memory().numTensors).toBe(start);
  });
});
