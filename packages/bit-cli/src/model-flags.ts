import type * as tfl from '@tensorflow/tfjs-layers';
import { getBiTMetadata, loadBiT } from '@bit/models/node';
import { log } from './output.js';

/** Loads `--model` (zoo name, .npz, TF.js folder or run folder), with download progress on stderr. */
export async function loadModelFlag(model: string): Promise<tfl.LayersModel> {
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
  if (meta)
    log(
      `model ${meta.source ?? model}: R${meta.architecture.units.join('-')} width ${meta.architecture.width}, ${meta.architecture.numClasses} classes`,
    );
  return m;
}
