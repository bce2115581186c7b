/**
 * Checkpoints written fresh (other seeds and sizes, the real R50x1 layout, float16 deflated)
 * load through loadBiT and match an independent float64 forward pass to < 1e-4 relative L2.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, tf, useBackend } from '../../../test-utils/backends';
import {
  features,
  loadBiT,
  parseArchitectureName,
  predict,
  validateArchitecture,
  writeNpzFile,
} from '@bit/models/node';
import { gaussian, randomWeights } from './helpers/random-weights';
import { referenceForward } from './helpers/reference-resnet';

const dir = mkdtempSync(join(tmpdir(), 'bit-fresh-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function relL2(a: ArrayLike<number>, e: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < e.length; i++) {
    num += (a[i] - e[i]) ** 2;
    den += e[i] ** 2;
  }
  return Math.sqrt(num / den);
}

const CASES = [
  {
    name: 'R50x1 layout, 1000 classes, float32 stored',
    arch: parseArchitectureName('R50x1', 1000),
    seed: 11,
    size: [33, 29],
    batch: 1,
    f16: false,
  },
  {
    name: 'units 2-2-2-2, width 0.5, 7 classes, float16 deflated',
    arch: validateArchitecture({ units: [2, 2, 2, 2], width: 0.5, numClasses: 7 }),
    seed: 23,
    size: [40, 52],
    batch: 2,
    f16: true,
  },
  {
    name: 'units 1-2-1-1, width 1, no head, float32 deflated',
    arch: validateArchitecture({ units: [1, 2, 1, 1], width: 1, numClasses: 0 }),
    seed: 5,
    size: [24, 24],
    batch: 1,
    f16: false,
    compress: true,
  },
];

describe.each(BACKENDS)('fresh checkpoints on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  for (const c of CASES) {
    it(c.name, async () => {
      const weights = randomWeights(c.arch, c.seed, c.f16);
      const file = join(dir, `${backend}-${c.seed}.npz`);
      await writeNpzFile(
        file,
        [...weights].map(([name, w]) => ({
          name,
          shape: w.shape,
          data: w.data as Float32Array,
          dtype: c.f16 ? ('float16' as const) : ('float32' as const),
        })),
        { compress: c.f16 || c.compress === true },
      );
      const g = gaussian(c.seed + 1);
      const [h, w] = c.size;
      const input = Float64Array.from({ length: c.batch * h * w * 3 }, () =>
        Math.min(1, Math.max(0, 0.5 + 0.25 * g())),
      );
      const ref = referenceForward(weights, [...c.arch.units], {
        shape: [c.batch, h, w, 3],
        data: input,
      });
      const model = await loadBiT(file);
      const x = tf.tensor4d(Float32Array.from(input), [c.batch, h, w, 3]);
      const feats = await features(model, x);
      expect(
        relL2(Float32Array.from(feats.flatMap((f) => [...f])), ref.prelogits.data),
      ).toBeLessThan(1e-4);
      if (ref.logits) {
        const preds = await predict(model, x, { logits: true, topK: 1, labels: null });
        expect(
          relL2(
            preds.flatMap((p) => p.logits!),
            ref.logits.data,
          ),
        ).toBeLessThan(1e-4);
      }
      x.dispose();
      model.dispose();
    });
  }
});
