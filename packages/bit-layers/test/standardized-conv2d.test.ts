import { beforeAll, describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import { BACKENDS, tf, useBackend } from '../../../test-utils/backends';
import { LayerConfigError, RankError, StandardizedConv2D, standardizedConv2d } from '../src/index';
import { registerWasmTrainingKernels } from '../src/kernels/index';
import {
  dot,
  finiteDifferenceGradient,
  randomNormal,
  refConv2d,
  type RefPadding,
  refStandardize,
  relL2,
  sizeOf,
} from './reference';

interface ConvCase {
  inShape: number[];
  filters: number;
  kernelSize: number;
  strides: number;
  padding: RefPadding;
}

const CASES: ConvCase[] = [
  { inShape: [2, 9, 9, 16], filters: 24, kernelSize: 3, strides: 1, padding: 'valid' },
  { inShape: [1, 10, 11, 8], filters: 16, kernelSize: 3, strides: 2, padding: 'same' },
  { inShape: [1, 12, 12, 3], filters: 16, kernelSize: 7, strides: 2, padding: 3 },
  { inShape: [2, 5, 5, 32], filters: 8, kernelSize: 1, strides: 1, padding: 'valid' },
];

/** Frees a layer used eagerly (tfjs' Layer.dispose only accepts layers used in a model). */
function release(layer: StandardizedConv2D): void {
  layer.clearStandardizedKernelCache();
  for (const w of layer.weights) w.dispose();
}

/** Builds a layer with a random kernel; returns it with the data and a float64 reference output. */
function setup(c: ConvCase, seed: number) {
  const cin = c.inShape[3];
  const kShape = [c.kernelSize, c.kernelSize, cin, c.filters];
  const k = randomNormal(sizeOf(kShape), seed, 0.01, 0.05);
  const xs = randomNormal(sizeOf(c.inShape), seed + 1, 0.5, 1);
  const layer = standardizedConv2d({
    filters: c.filters,
    kernelSize: c.kernelSize,
    strides: c.strides,
    padding: c.padding,
    useBias: false,
  });
  layer.build(c.inShape);
  const kt = tf.tensor(k, kShape);
  layer.setWeights([kt]);
  kt.dispose();
  const ref = (kernel: ArrayLike<number>) =>
    refConv2d(
      xs,
      c.inShape,
      refStandardize(kernel, kShape, 1e-10),
      kShape,
      [c.strides, c.strides],
      c.padding,
    );
  return { layer, k, kShape, xs, ref };
}

// The test picks the backends, so it registers the wasm training kernels (as an application would).
registerWasmTrainingKernels();

for (const backend of BACKENDS) {
  describe(`StandardizedConv2D on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    it.each(CASES)('forward matches float64 reference (graph and cached paths): %o', (c) => {
      const { layer, xs, k, ref } = setup(c, 40 + c.kernelSize);
      const expected = ref(k);
      const x = tf.tensor(xs, c.inShape);
      const training = layer.apply(x, { training: true }) as tf.Tensor;
      const cached = layer.apply(x, { training: false }) as tf.Tensor;
      const implicit = layer.apply(x) as tf.Tensor;
      expect(training.shape).toEqual(expected.shape);
      expect(layer.computeOutputShape(c.inShape)).toEqual(expected.shape);
      expect(layer.computeOutputShape([null, null, null, c.inShape[3]])).toEqual([
        null,
        null,
        null,
        c.filters,
      ]);
      expect(relL2(training.dataSync(), expected.out)).toBeLessThan(1e-5);
      expect(relL2(cached.dataSync(), expected.out)).toBeLessThan(1e-5);
      expect(Array.from(implicit.dataSync())).toEqual(Array.from(cached.dataSync()));
      tf.dispose([x, training, cached, implicit]);
      release(layer);
    });

    it('adds the bias and supports dilation', () => {
      const inShape = [1, 9, 9, 4];
      const kShape = [3, 3, 4, 6];
      const k = randomNormal(sizeOf(kShape), 50);
      const bias = randomNormal(6, 51);
      const xs = randomNormal(sizeOf(inShape), 52);
      const layer = standardizedConv2d({
        filters: 6,
        kernelSize: 3,
        dilationRate: 2,
        padding: 'same',
      });
      layer.build(inShape);
      const weights = [tf.tensor(k, kShape), tf.tensor1d(bias)];
      layer.setWeights(weights);
      const x = tf.tensor(xs, inShape);
      const y = layer.apply(x) as tf.Tensor;
      const expected = refConv2d(
        xs,
        inShape,
        refStandardize(k, kShape, 1e-10),
        kShape,
        [1, 1],
        'same',
        [2, 2],
        bias,
      );
      expect(y.shape).toEqual(expected.shape);
      expect(relL2(y.dataSync(), expected.out)).toBeLessThan(1e-5);
      tf.dispose([...weights, x, y]);
      release(layer);
    });

    it('never serves a stale cached kernel after setWeights or a direct variable write', () => {
      const c = CASES[1];
      const { layer, kShape, xs, ref } = setup(c, 60);
      const x = tf.tensor(xs, c.inShape);
      tf.dispose(layer.apply(x) as tf.Tensor);
      const k2 = randomNormal(sizeOf(kShape), 61, -0.02, 0.1);
      const t2 = tf.tensor(k2, kShape);
      layer.setWeights([t2]);
      const y2 = layer.apply(x) as tf.Tensor;
      expect(relL2(y2.dataSync(), ref(k2).out)).toBeLessThan(1e-5);
      const k3 = randomNormal(sizeOf(kShape), 62, 0.03, 0.02);
      const t3 = tf.tensor(k3, kShape);
      layer.weights[0].write(t3); // bypasses setWeights: the data-id key must catch it
      const y3 = layer.apply(x, { training: false }) as tf.Tensor;
      expect(relL2(y3.dataSync(), ref(k3).out)).toBeLessThan(1e-5);
      tf.dispose([x, t2, t3, y2, y3]);
      release(layer);
    });

    it('uses the graph path while a gradient tape records', () => {
      const { layer } = setup(CASES[3], 70);
      expect(layer.usesInferencePath({})).toBe(true);
      expect(layer.usesInferencePath({ training: true })).toBe(false);
      let inside = true;
      const x = tf.ones([1, 2, 2, 32]);
      tf.dispose(
        tf.grad((t: tf.Tensor) => {
          inside = layer.usesInferencePath({ training: false });
          return tf.sum(layer.apply(t) as tf.Tensor);
        })(x),
      );
      expect(inside).toBe(false);
      const noCache = standardizedConv2d({
        filters: 2,
        kernelSize: 1,
        cacheStandardizedKernel: false,
      });
      expect(noCache.usesInferencePath({ training: false })).toBe(false);
      x.dispose();
      release(layer);
    });

    it('gradient wrt the input matches float64 finite differences', () => {
      const inShape = [1, 5, 5, 2];
      const kShape = [3, 3, 2, 3];
      const k = randomNormal(sizeOf(kShape), 80, 0.1, 0.4);
      const xs = randomNormal(sizeOf(inShape), 81);
      const layer = standardizedConv2d({
        filters: 3,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        useBias: false,
      });
      layer.build(inShape);
      const kt = tf.tensor(k, kShape);
      layer.setWeights([kt]);
      const ws = refStandardize(k, kShape, 1e-10);
      const outShape = refConv2d(xs, inShape, ws, kShape, [2, 2], 'same').shape;
      const r = randomNormal(sizeOf(outShape), 82);
      const proj = tf.tensor(r, outShape);
      const x = tf.tensor(xs, inShape);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(proj, layer.apply(t) as tf.Tensor)))(x);
      const fd = finiteDifferenceGradient(
        (v) => dot(r, refConv2d(v, inShape, ws, kShape, [2, 2], 'same').out),
        xs,
      );
      expect(relL2(g.dataSync(), fd)).toBeLessThan(1e-3);
      tf.dispose([kt, proj, x, g]);
      release(layer);
    });

    it('gradient wrt the raw kernel (through the standardisation) matches float64 finite differences', () => {
      const inShape = [2, 5, 5, 2];
      const kShape = [3, 3, 2, 3];
      const k = randomNormal(sizeOf(kShape), 90, 0.1, 0.4);
      const bias = randomNormal(3, 93);
      const xs = randomNormal(sizeOf(inShape), 91);
      const layer = standardizedConv2d({ filters: 3, kernelSize: 3, padding: 1 });
      layer.build(inShape);
      const init = [tf.tensor(k, kShape), tf.tensor1d(bias)];
      layer.setWeights(init);
      const outShape = refConv2d(xs, inShape, k, kShape, [1, 1], 1).shape;
      const r = randomNormal(sizeOf(outShape), 92);
      const proj = tf.tensor(r, outShape);
      const x = tf.tensor(xs, inShape);
      const [kernelVar, biasVar] = layer.weights.map((w) => w.read() as tf.Variable);
      const { grads } = tf.variableGrads(
        () => tf.sum(tf.mul(proj, layer.apply(x) as tf.Tensor)) as tf.Scalar,
        [kernelVar, biasVar],
      );
      const loss = (kv: ArrayLike<number>, bv: ArrayLike<number>) =>
        dot(
          r,
          refConv2d(xs, inShape, refStandardize(kv, kShape, 1e-10), kShape, [1, 1], 1, [1, 1], bv)
            .out,
        );
      const fdK = finiteDifferenceGradient((v) => loss(v, bias), k, 1e-6);
      const fdB = finiteDifferenceGradient((v) => loss(k, v), bias);
      expect(relL2(grads[kernelVar.name].dataSync(), fdK)).toBeLessThan(1e-3);
      expect(relL2(grads[biasVar.name].dataSync(), fdB)).toBeLessThan(1e-3);
      tf.dispose([...init, proj, x, ...Object.values(grads)]);
      release(layer);
    });

    it('model.fit trains through the standardisation and predict sees the new kernel', async () => {
      const model = tfl.sequential({
        layers: [
          standardizedConv2d({
            inputShape: [6, 6, 3],
            filters: 4,
            kernelSize: 3,
            useBias: false,
          }),
          tfl.layers.flatten(),
        ],
      });
      model.compile({ optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError' });
      const xs = randomNormal(2 * 6 * 6 * 3, 100);
      const x = tf.tensor(xs, [2, 6, 6, 3]);
      const target = tf.randomNormal([2, 64], 0, 1, 'float32', 101);
      tf.dispose(model.predict(x) as tf.Tensor); // fills the inference cache
      // getWeights() returns the variables themselves: copy, never dispose.
      const beforeData = model.layers[0].getWeights()[0].dataSync().slice();
      await model.fit(x, target, { epochs: 1, batchSize: 2, verbose: 0 });
      const k = model.layers[0].getWeights()[0].dataSync().slice();
      expect(relL2(k, beforeData)).toBeGreaterThan(1e-4);
      const y = model.predict(x) as tf.Tensor;
      const kShape = [3, 3, 3, 4];
      const expected = refConv2d(
        xs,
        [2, 6, 6, 3],
        refStandardize(k, kShape, 1e-10),
        kShape,
        [1, 1],
        'valid',
      );
      expect(relL2(y.dataSync(), expected.out)).toBeLessThan(1e-5);
      tf.dispose([x, target, y]);
      model.dispose();
    });

    it('validates config and input rank with typed errors', () => {
      expect(() => standardizedConv2d({ filters: 0, kernelSize: 3 })).toThrow(LayerConfigError);
      expect(() =>
        standardizedConv2d({ filters: 4, kernelSize: 3, padding: 'causal' as never }),
      ).toThrow(/padding/);
      expect(() =>
        standardizedConv2d({ filters: 4, kernelSize: 3, strides: 2, dilationRate: 2 }),
      ).toThrow(LayerConfigError);
      const layer = new StandardizedConv2D({ filters: 4, kernelSize: 1 });
      const x3 = tf.zeros([2, 4, 3]);
      expect(() => layer.apply(x3)).toThrow(RankError);
      x3.dispose();
      release(layer);
    });

    it('does not leak tensors on the graph and cached paths', () => {
      const start = tf.memory().numTensors;
      const { layer, xs } = setup(CASES[0], 110);
      const x = tf.tensor(xs, CASES[0].inShape);
      tf.dispose(layer.apply(x) as tf.Tensor); // creates the cached kernel
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        tf.dispose(layer.apply(x) as tf.Tensor);
        tf.dispose(layer.apply(x, { training: true }) as tf.Tensor);
        tf.dispose(layer.apply(x, { training: false }) as tf.Tensor);
        tf.dispose(tf.grad((t: tf.Tensor) => tf.sum(layer.apply(t) as tf.Tensor))(x));
      }
      expect(tf.memory().numTensors).toBe(before);
      const w = tf.clone(layer.getWeights()[0]);
      layer.setWeights([w]); // drops the cache (-1), w (+1)
      expect(tf.memory().numTensors).toBe(before);
      w.dispose();
      tf.dispose(layer.apply(x) as tf.Tensor); // cache again (+1)
      expect(tf.memory().numTensors).toBe(before);
      release(layer);
      x.dispose();
      expect(tf.memory().numTensors).toBe(start);
    });

    it('dispose() of a layer used in a model frees its cached kernel and weights', () => {
      const start = tf.memory().numTensors;
      const layer = standardizedConv2d({ filters: 2, kernelSize: 1, useBias: false });
      const input = tfl.input({ shape: [3, 3, 4] });
      const model = tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor });
      const x = tf.ones([1, 3, 3, 4]);
      tf.dispose(model.predict(x) as tf.Tensor);
      x.dispose();
      model.dispose();
      expect(tf.memory().numTensors).toBe(start);
    });
  });
}
