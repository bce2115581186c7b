import type * as tfl from '@tensorflow/tfjs-layers';
import {
  getBiTMetadata,
  hasModel,
  isRunFolder,
  loadBiT,
  type BiTModel,
  type NodeLoadBiTOptions,
} from '@bit/models/node';
import { engineLoadOptions, type EngineChoice } from './engine';
import { log } from './output';
import { exists } from './paths';
import { UsageError } from './errors';

/**
 * Loads `--model`: a run folder (its trained model, or its last checkpoint), a zoo name, an
 * .npz, or a TF.js folder; download progress on stderr. A path that does not exist and is no zoo
 * name or URL fails with "no such file or directory".
 */
export async function loadModelFlag(
  model: string,
  usage: string,
  what = '--model',
): Promise<tfl.LayersModel> {
  return (await loadAnyModel(model, usage, what, { engine: 'tfjs' })) as tfl.LayersModel;
}

/**
 * Loads `--model` as {@link loadModelFlag} does, in the engine of `--engine` (onnx: an .onnx
 * file, or any checkpoint converted in memory).
 */
export async function loadModelWithEngine(
  model: string,
  usage: string,
  choice: EngineChoice,
  what = '--model',
): Promise<BiTModel> {
  return loadAnyModel(model, usage, what, choice);
}

async function loadAnyModel(
  model: string,
  usage: string,
  what: string,
  choice: EngineChoice,
): Promise<BiTModel> {
  // loadBiT takes run folders too: the finished model/, else the last checkpoint with the run's
  // class names and resolution.
  const run = await isRunFolder(model);
  if (
    !run &&
    !hasModel(model) &&
    !/^[a-z][a-z0-9+.-]*:\/\//i.test(model) &&
    !(await exists(model))
  ) {
    throw new UsageError(
      `${what}: no such file or directory: ${model} (and no zoo model of that name; bit models lists them)`,
      usage,
    );
  }
  let last = -1;
  const options: NodeLoadBiTOptions = {
    onProgress: (e) => {
      const pct = e.totalBytes ? Math.floor((100 * e.receivedBytes) / e.totalBytes) : -1;
      if (pct !== last && pct % 10 === 0) {
        last = pct;
        log(`downloading ${e.name}: ${pct}%`);
      }
    },
  };
  const m =
    choice.engine === 'tfjs'
      ? await loadBiT(model, options)
      : await loadBiT(model, { ...options, ...engineLoadOptions(choice) });
  const meta = getBiTMetadata(m);
  if (meta) {
    const a = meta.architecture;
    log(
      `${run ? 'run' : 'model'} ${run ? model : (meta.source ?? model)}: units ${a.units.join('-')}, width ${a.width}, ${a.numClasses} classes${choice.engine === 'tfjs' ? '' : ` (engine ${choice.engine})`}`,
    );
  }
  return m;
}
