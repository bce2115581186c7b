import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { getBiTMetadata, loadBiT } from '@bit/models/node';
import { log } from './output.js';

async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** True when `path` is a fine-tuning run folder (written by `bit finetune`). */
export async function isRunFolder(path: string): Promise<boolean> {
  return (await isDir(join(path, 'model'))) || (await isDir(join(path, 'checkpoint')));
}

/**
 * Loads `--model`: a run folder (its trained model, or its last checkpoint), a zoo name, an
 * .npz, or a TF.js folder; download progress on stderr.
 */
export async function loadModelFlag(model: string): Promise<tfl.LayersModel> {
  if (await isRunFolder(model)) {
    const { openRun } = await import('@bit/train/node');
    const run = await openRun(model);
    log(`run ${model}: ${run.finished ? 'finished' : `checkpoint at step ${run.step}`}`);
    return run.model;
  }
  let last = -1;
  const m = await loadBiT(model, {
    onProgress: (e) => {
      const pct = e.totalBytes ? Math.floor((100 * e.receivedBytes) / e.totalBytes) : -1;
      if (pct !== last && pct % 10 === 0) {
        last = pct;
        log(`downloading ${e.name}: ${pct}%`);
      }
    },
  });
  const meta = getBiTMetadata(m);
  if (meta) {
    const a = meta.architecture;
    log(
      `model ${meta.source ?? model}: units ${a.units.join('-')}, width ${a.width}, ${a.numClasses} classes`,
    );
  }
  return m;
}
