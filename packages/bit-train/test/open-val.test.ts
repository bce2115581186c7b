/**
 * Which split a run validates on when `val` names a source with splits: `val`, else `test`,
 * never silently `train` (an IDX folder given as both --train and --val once validated on the
 * training images).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TrainConfigError } from '../src/errors';
import { openVal } from '../src/node/fine-tune-run';
import {
  encodePng,
  randomImage,
  tempDir,
  writeFile,
  writeIdxFolder,
} from '../../bit-data/test/helpers';

const { dir, cleanup } = tempDir('bit-open-val-');
afterAll(cleanup);

/** An image folder: `counts[split][class]` PNGs under split/class/ (or class/ for split ''). */
function imageFolder(root: string, counts: Record<string, Record<string, number>>): string {
  let seed = 0;
  for (const [split, classes] of Object.entries(counts)) {
    for (const [name, n] of Object.entries(classes)) {
      for (let i = 0; i < n; i++) {
        writeFile(
          join(root, split, name, `${i}.png`),
          encodePng(randomImage(4, 4, seed++).data, 4, 4),
        );
      }
    }
  }
  return root;
}

const CLASSES = ['a', 'b'];

describe('openVal: the split a run validates on', () => {
  it('an IDX folder validates on its test split, not train', async () => {
    const idx = join(dir, 'idx');
    writeIdxFolder(idx, { train: 12, test: 7 }, true);
    const classes = Array.from({ length: 10 }, (_, i) => String(i));
    const val = await openVal({ val: idx }, classes);
    expect(val?.metadata.split).toBe('test');
    expect(val?.size).toBe(7);
    // An explicit split is honoured.
    const train = await openVal({ val: idx, valOptions: { split: 'train' } }, classes);
    expect(train?.size).toBe(12);
  });

  it('image folders: val/ before test/, test/ without val/, the whole folder without splits', async () => {
    const three = imageFolder(join(dir, 'three'), {
      train: { a: 3, b: 3 },
      val: { a: 2, b: 1 },
      test: { a: 1, b: 1 },
    });
    expect((await openVal({ val: three }, CLASSES))?.size).toBe(3);
    const two = imageFolder(join(dir, 'two'), { train: { a: 3, b: 3 }, test: { a: 1, b: 1 } });
    const v2 = await openVal({ val: two }, CLASSES);
    expect(v2?.metadata.split).toBe('test');
    expect(v2?.size).toBe(2);
    const flat = imageFolder(join(dir, 'flat'), { '': { a: 2, b: 3 } });
    expect((await openVal({ val: flat }, CLASSES))?.size).toBe(5);
  });

  it('relabelling to the training classes keeps the split it chose', async () => {
    const two = join(dir, 'two');
    // Training classes in another order: val is reopened with them, still on test/.
    const val = await openVal({ val: two }, ['b', 'a']);
    expect(val?.metadata.classes).toEqual(['b', 'a']);
    expect(val?.metadata.split).toBe('test');
    expect(val?.size).toBe(2);
  });

  it('val without a training class is a TrainConfigError naming val and the class', async () => {
    const e = await openVal({ val: join(dir, 'two') }, ['a', 'zebra']).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(TrainConfigError);
    expect((e as Error).message).toMatch(
      /^val .*two: it lacks training classes \(unknown class "zebra" \(known: a, b\)\)/,
    );
  });
});
