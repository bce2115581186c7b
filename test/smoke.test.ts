import { it, expect } from 'vitest';
import { BACKENDS, useBackend, tf } from '../test-utils/backends';
it.each(BACKENDS)('backend %s', async (b) => {
  await useBackend(b);
  const x = tf.tensor([1, 2, 3]);
  const g = tf.grad((a: tf.Tensor) => tf.sum(tf.square(a)))(x);
  expect(Array.from(g.dataSync())).toEqual([2, 4, 6]);
  expect(tf.getBackend()).toBe(b);
});
