import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, tf, useBackend } from '../../../test-utils/backends';
import {
  GroupNormalization,
  groupNormalization,
  StandardizedConv2D,
  standardizedConv2d,
} from '../src/index';
import { randomNormal } from './reference';

function buildModel(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      standardizedConv2d({
        inputShape: [8, 8, 3],
        filters: 8,
        kernelSize: 3,
        padding: 1,
        useBias: false,
        kernelInitializer: 'heNormal',
        eps: 1e-8,
        name: 'stem',
      }),
      groupNormalization({
        groups: 4,
        epsilon: 1e-4,
        gammaInitializer: 'randomNormal',
        name: 'gn',
      }),
      tfl.layers.reLU(),
      standardizedConv2d({
        filters: 4,
        kernelSize: [3, 1],
        strides: 2,
        padding: 'same',
        biasInitializer: 'randomUniform',
        cacheStandardizedKernel: false,
      }),
      groupNormalization({ groups: 2, center: false, betaInitializer: 'ones' }),
    ],
  });
}

for (const backend of BACKENDS) {
  describe(`serialization on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    it('is registered under the expected class names', () => {
      const map = tf.serialization.SerializationMap.getMap().classNameMap;
      expect(map.GroupNormalization?.[0]).toBe(GroupNormalization);
      expect(map.StandardizedConv2D?.[0]).toBe(StandardizedConv2D);
    });

    it('getConfig round-trips through fromConfig', () => {
      const conv = standardizedConv2d({
        filters: 5,
        kernelSize: [3, 5],
        strides: [2, 1],
        padding: 2,
        useBias: false,
      });
      const copy = StandardizedConv2D.fromConfig(StandardizedConv2D, conv.getConfig());
      expect(copy.getConfig()).toEqual(conv.getConfig());
      expect(conv.getConfig()).toMatchObject({
        kernelSize: [3, 5],
        strides: [2, 1],
        padding: 2,
        eps: 1e-10,
      });
      const gn = groupNormalization({ groups: 8, epsilon: 1e-3, scale: false });
      const gnCopy = GroupNormalization.fromConfig(GroupNormalization, gn.getConfig());
      expect(gnCopy.getConfig()).toEqual(gn.getConfig());
      expect(gn.getConfig()).toMatchObject({
        groups: 8,
        epsilon: 1e-3,
        scale: false,
        center: true,
        axis: -1,
      });
    });

    it('saves and loads a model with both layers: same config, weights and outputs', async () => {
      const start = tf.memory().numTensors;
      const model = buildModel();
      const x = tf.tensor(randomNormal(2 * 8 * 8 * 3, 120, 0.5, 1), [2, 8, 8, 3]);
      const y = model.predict(x) as tf.Tensor;
      let saved: tf.io.ModelArtifacts | undefined;
      await model.save(
        tf.io.withSaveHandler(async (artifacts) => {
          saved = artifacts;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
      expect(saved).toBeDefined();
      const topology = JSON.stringify(saved!.modelTopology);
      expect(topology).toContain('"class_name":"StandardizedConv2D"');
      expect(topology).toContain('"class_name":"GroupNormalization"');
      const names = saved!.weightSpecs!.map((s) => s.name.split('/').pop()!.replace(/_\d+$/, ''));
      expect(names).toEqual(['kernel', 'gamma', 'beta', 'kernel', 'bias', 'gamma']);

      const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
      expect(loaded.layers.map((l) => l.getClassName())).toEqual(
        model.layers.map((l) => l.getClassName()),
      );
      for (const i of [0, 1, 3, 4]) {
        expect(loaded.layers[i].getConfig()).toEqual(model.layers[i].getConfig());
      }
      const y2 = loaded.predict(x) as tf.Tensor;
      expect(y2.shape).toEqual([2, 4, 4, 4]);
      expect(Array.from(y2.dataSync())).toEqual(Array.from(y.dataSync()));
      tf.dispose([x, y, y2]);
      model.dispose();
      loaded.dispose();
      expect(tf.memory().numTensors).toBe(start);
    });

    it('builds symbolically with unknown spatial size and reports output shapes', () => {
      const input = tfl.input({ shape: [null, null, 6] });
      const conv = standardizedConv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 1 });
      const out = groupNormalization({ groups: 4 }).apply(conv.apply(input)) as tfl.SymbolicTensor;
      expect(out.shape).toEqual([null, null, null, 8]);
      const model = tfl.model({ inputs: input, outputs: out });
      const x = tf.ones([1, 9, 7, 6]);
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([1, 5, 4, 8]);
      expect(conv.computeOutputShape([1, 9, 7, 6])).toEqual([1, 5, 4, 8]);
      tf.dispose([x, y]);
      model.dispose();
    });
  });
}
