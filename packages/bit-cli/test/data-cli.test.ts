/** `bit data inspect` (the data issue's acceptance) through the built binary. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { bit } from './helpers';

const FASHION = '/usr/share/datasets/fashion-mnist';

describe('bit data inspect', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bit-data-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an image folder: 3 classes x 7 PNGs plus 3 broken files', () => {
    for (const [c, name] of ['cat', 'dog', 'owl'].entries()) {
      mkdirSync(join(dir, name), { recursive: true });
      for (let i = 0; i < 7; i++) {
        const png = new PNG({ width: 6 + c, height: 5 });
        png.data.fill(40 * i + c);
        writeFileSync(join(dir, name, `${i}.png`), PNG.sync.write(png));
      }
    }
    const good = readFileSync(join(dir, 'cat', '0.png'));
    writeFileSync(join(dir, 'cat', 'truncated.png'), good.subarray(0, Math.floor(good.length / 2)));
    writeFileSync(join(dir, 'dog', 'empty.jpg'), new Uint8Array(0));
    writeFileSync(join(dir, 'owl', 'text.png'), 'this is not an image\n');
    const r = bit(['data', 'inspect', dir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.numExamples).toBe(21);
    expect(info.numClasses).toBe(3);
    expect(info.classes).toEqual(['cat', 'dog', 'owl']);
    expect(info.classCounts).toEqual([7, 7, 7]);
    const skipped = (info.skipped as Array<{ path: string }>).map((s) => s.path).sort();
    expect(skipped).toEqual(
      [
        join(dir, 'cat', 'truncated.png'),
        join(dir, 'dog', 'empty.jpg'),
        join(dir, 'owl', 'text.png'),
      ].sort(),
    );
  });

  it.skipIf(!existsSync(FASHION))(
    'Fashion-MNIST test split: 10000 examples, 10 classes, 28x28',
    () => {
      const r = bit(['data', 'inspect', FASHION, '--split', 'test', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const info = JSON.parse(r.stdout);
      expect(info).toMatchObject({ numExamples: 10000, numClasses: 10, height: 28, width: 28 });
    },
  );

  it('bad input exits 2 with a usage line', () => {
    for (const args of [
      ['data', 'inspect', join(dir, 'missing')],
      ['data', 'inspect', dir, '--split', 'dev'],
      ['data', 'list'],
    ]) {
      const r = bit(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/usage: bit data inspect/);
    }
  });
});
