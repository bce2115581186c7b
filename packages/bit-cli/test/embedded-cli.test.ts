/**
 * The embedded model through the built `bit` binary, offline (an empty cache and an unreachable
 * download origin): `bit predict --model BiT-FMNIST-R14x0.5` on PNG files of Fashion-MNIST test
 * images of its five classes (the whole test split of those classes) names them with the
 * Fashion-MNIST class names, at >= 85% top-1.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadImage } from '@bit/data';
import { openSource } from '@bit/data/node';
import { bit } from './helpers';

const FASHION = '/usr/share/datasets/fashion-mnist';
const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat'];
const work = mkdtempSync(join(tmpdir(), 'bit-embedded-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const offline = {
  BIT_CACHE_DIR: join(work, 'empty-cache'),
  BIT_MODELS_BASE_URL: 'http://127.0.0.1:9/',
};

describe('bit with the embedded model', () => {
  it('lists it as embedded', () => {
    const r = bit(['models', '--json'], { env: offline });
    expect(r.code, r.stderr).toBe(0);
    const entry = JSON.parse(r.stdout).models.find(
      (m: { name: string }) => m.name === 'BiT-FMNIST-R14x0.5',
    );
    expect(entry).toMatchObject({ embedded: true, resolution: 32 });
  });

  it.skipIf(!existsSync(FASHION))(
    'predict on PNG files of test images of its classes: >= 85% top-1, named, offline',
    async () => {
      const test = await openSource(FASHION, { split: 'test', classes: '0-4' });
      const dir = join(work, 'png');
      mkdirSync(dir, { recursive: true });
      const files: string[] = [];
      const truth: string[] = [];
      // The whole test split of its classes: 5000 images.
      for (let i = 0; i < test.size; i++) {
        const img = await loadImage(test.example(i).image);
        const png = new PNG({ width: img.width, height: img.height });
        for (let p = 0; p < img.width * img.height; p++) {
          png.data.set([img.data[3 * p], img.data[3 * p + 1], img.data[3 * p + 2], 255], 4 * p);
        }
        const file = join(dir, `${i}.png`);
        writeFileSync(file, PNG.sync.write(png));
        files.push(file);
        truth.push(CLASSES[test.label(i)]);
      }
      const r = bit(
        ['predict', ...files, '--model', 'BiT-FMNIST-R14x0.5', '--top', '1', '--json'],
        {
          env: offline,
        },
      );
      expect(r.code, r.stderr).toBe(0);
      const predictions = JSON.parse(r.stdout).predictions as { top: { label: string }[] }[];
      expect(predictions).toHaveLength(test.size);
      for (const p of predictions) expect(CLASSES).toContain(p.top[0].label);
      const correct = predictions.filter((p, i) => p.top[0].label === truth[i]).length;
      expect(correct / test.size).toBeGreaterThanOrEqual(0.85);
      expect(existsSync(offline.BIT_CACHE_DIR) ? 'cache written' : 'no cache').toBe('no cache');

      // As .npz (weights only), with the flags convert names, it predicts the same; bare, it
      // would resize to 224 px and name no class.
      const npz = join(work, 'embedded.npz');
      const c = bit(['convert', 'BiT-FMNIST-R14x0.5', '--out', npz], { env: offline });
      expect(c.code, c.stderr).toBe(0);
      const flags = /predict from it with (--size 32 --labels \S+), or convert to TF\.js/.exec(
        c.stderr,
      );
      expect(flags, c.stderr).not.toBeNull();
      const some = files.slice(0, 50);
      const again = bit(
        ['predict', ...some, '--model', npz, ...flags![1].split(' '), '--top', '1', '--json'],
        { env: offline },
      );
      expect(again.code, again.stderr).toBe(0);
      const labels = (JSON.parse(again.stdout).predictions as { top: { label: string }[] }[]).map(
        (p) => p.top[0].label,
      );
      expect(labels).toEqual(predictions.slice(0, 50).map((p) => p.top[0].label));
    },
  );
});
