/**
 * examples/node-finetune/finetune.mjs, the copyable library-API script: fine-tunes the embedded
 * model on an image folder for a few steps, evaluates, saves a model that loads back with its
 * class names, and classifies an image with it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getBiTMetadata, loadBiT } from '@bit/models/node';
import { writeColourFolder } from '../packages/bit-cli/test/image-folder';

const SCRIPT = join(__dirname, '..', 'examples', 'node-finetune', 'finetune.mjs');

describe('examples/node-finetune/finetune.mjs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bit-example-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fine-tunes on an image folder, saves, and classifies with the saved model', async () => {
    writeColourFolder(join(dir, 'colours'), { train: 6, val: 3 });
    const out = join(dir, 'model');
    const image = join(dir, 'colours', 'val', 'blue', '0.png');
    const r = spawnSync(
      process.execPath,
      [
        SCRIPT,
        join(dir, 'colours'),
        '--steps',
        '10',
        '--batch',
        '6',
        '--val',
        join(dir, 'colours'),
        '--val-split',
        'val',
        '--out',
        out,
        '--predict',
        image,
      ],
      { encoding: 'utf8', timeout: 300_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^train: 18 images of blue, green, red$/m);
    expect(r.stdout).toMatch(/^step 0: loss 1\.0986/m); // zero head: ln 3
    expect(r.stdout).toMatch(/^top-1 on 9 held-out images: \d+\.\d%$/m);
    const predicted = new RegExp(`^${image.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: (\\w+) `, 'm');
    expect(r.stdout).toMatch(predicted);
    await tf.setBackend('cpu');
    const model = await loadBiT(out);
    const meta = getBiTMetadata(model)!;
    expect(meta.labels).toEqual(['blue', 'green', 'red']);
    expect(meta.resolution).toBe(32);
    model.dispose();
  });
});
