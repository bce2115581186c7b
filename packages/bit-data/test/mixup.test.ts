import { describe, expect, it } from 'vitest';
import { BACKENDS, tf, useBackend } from '../../../test-utils/backends';
import { mixupArrays, mixupRows, mixupRowsInPlace, oneHot } from '../src/mixup/arrays';
import { mixupBatch } from '../src/mixup/tensors';
import { Rng } from '../src/random/rng';

function randomArray(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.next());
}

/** Float64 reference: row i = l * row i + (1 - l) * row (B - 1 - i). */
function reference(data: Float32Array, batch: number, l: number): Float64Array {
  const row = data.length / batch;
  const out = new Float64Array(data.length);
  for (let i = 0; i < batch; i++)
    for (let k = 0; k < row; k++)
      out[i * row + k] = l * data[i * row + k] + (1 - l) * data[(batch - 1 - i) * row + k];
  return out;
}

describe('MixUp on typed arrays', () => {
  it.each([1, 4, 5])('batch %i mixes each row with its reverse partner', (batch) => {
    const images = randomArray(batch * 2 * 3 * 3, batch);
    const labels = oneHot(
      Array.from({ length: batch }, (_, i) => i % 3),
      3,
    );
    const l = 0.3;
    const mixed = mixupArrays(images, labels, batch, l);
    const ri = reference(images, batch, l);
    const rl = reference(labels, batch, l);
    mixed.images.forEach((v, i) => expect(v).toBeCloseTo(ri[i], 6));
    mixed.labels.forEach((v, i) => expect(v).toBeCloseTo(rl[i], 6));
    // Mixed one-hot rows still sum to 1; inputs untouched.
    for (let i = 0; i < batch; i++)
      expect(mixed.labels[i * 3] + mixed.labels[i * 3 + 1] + mixed.labels[i * 3 + 2]).toBeCloseTo(
        1,
        6,
      );
    expect(Array.from(labels.subarray(0, 3))).toEqual([1, 0, 0]);
  });

  it('in place equals out of place; lambda 1 is the identity', () => {
    const a = randomArray(5 * 4, 9);
    expect(mixupRowsInPlace(new Float32Array(a), 5, 0.7)).toEqual(mixupRows(a, 5, 0.7));
    expect(mixupRows(a, 5, 1)).toEqual(a);
    expect(() => mixupRows(a, 3, 0.5)).toThrow(/rows/);
    expect(() => mixupRows(a, 5, 1.5)).toThrow(/lambda/);
  });

  it('oneHot checks labels', () => {
    expect(Array.from(oneHot([2, 0], 3))).toEqual([0, 0, 1, 1, 0, 0]);
    expect(() => oneHot([3], 3)).toThrow(/outside/);
  });
});

describe.each(BACKENDS)('mixupBatch on tensors (%s)', (backend) => {
  it('matches the typed-array version and leaks nothing', async () => {
    await useBackend(backend);
    const batch = 4;
    const images = randomArray(batch * 3 * 2 * 3, 1);
    const labels = oneHot([0, 1, 2, 1], 3);
    const ti = tf.tensor4d(images, [batch, 3, 2, 3]);
    const tl = tf.tensor2d(labels, [batch, 3]);
    const before = tf.memory().numTensors;
    for (let rep = 0; rep < 3; rep++) {
      const out = mixupBatch(ti, tl, 0.25);
      const ref = mixupArrays(images, labels, batch, 0.25);
      Array.from(out.images.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(ref.images[i], 6));
      Array.from(out.labels.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(ref.labels[i], 6));
      out.images.dispose();
      out.labels.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    const wrong = tf.zeros([3, 3]) as tf.Tensor2D;
    expect(() => mixupBatch(ti, wrong, 0.5)).toThrow(/batch/);
    tf.dispose([ti, tl, wrong]);
  });
});
