/** Opening a run folder: its trained model (or the last checkpoint's), state and metrics. */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { getBiTMetadata, loadBiT, MODEL_JSON, setBiTMetadata } from '@bit/models/node';
import { CheckpointError } from '../errors';
import type { CheckpointState, MetricsLine } from '../run/types';
import { NodeRunStore, RUN_FILES } from './run-store';

/** A run folder, opened. */
export interface OpenedRun {
  /** The model: `model/` when the run finished, else the checkpoint's weights. */
  readonly model: tfl.LayersModel;
  /** Where the model came from. */
  readonly from: 'model' | 'checkpoint';
  /** The checkpoint's state, when there is a checkpoint. */
  readonly state?: CheckpointState;
  /** Optimizer steps completed (the checkpoint's; the plan's total for a finished run without one). */
  readonly step: number;
  /** True when the schedule completed. */
  readonly finished: boolean;
  /** Class names, by label (null when unknown). */
  readonly classes: readonly string[] | null;
  /** Eval image side (the training crop), when known. */
  readonly resolution?: number;
  readonly metrics: MetricsLine[];
  readonly store: NodeRunStore;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * Opens run folder `dir` (written by fineTuneRun) to predict or evaluate: loads `model/` when
 * the run finished, else the last checkpoint's weights (`checkpoint/weights.npz`, an official
 * layout .npz) with the class names and resolution from its state.json.
 * @throws CheckpointError when the folder has neither.
 */
export async function openRun(dir: string): Promise<OpenedRun> {
  const store = new NodeRunStore(dir);
  const state = await store.readState();
  const metrics = await store.readMetrics();
  const modelJson = join(store.paths.model, MODEL_JSON);
  let model: tfl.LayersModel;
  let from: OpenedRun['from'];
  if (await isFile(modelJson)) {
    model = await loadBiT(store.paths.model);
    from = 'model';
  } else if (state) {
    const weights = (await isFile(store.paths.weights)) ? store.paths.weights : undefined;
    if (!weights) throw new CheckpointError(`${dir}: the checkpoint has no ${RUN_FILES.weights}`);
    model = await loadBiT(weights);
    const meta = getBiTMetadata(model);
    if (meta) {
      setBiTMetadata(model, {
        ...meta,
        source: dir,
        labels: [...state.classes],
        resolution: state.resolution.crop,
      });
    }
    from = 'checkpoint';
  } else {
    throw new CheckpointError(
      `${dir} is not a run folder: it has neither ${RUN_FILES.model}/${MODEL_JSON} nor ${RUN_FILES.checkpoint}/${RUN_FILES.state}`,
    );
  }
  const meta = getBiTMetadata(model);
  const labels = meta?.labels;
  const classes = Array.isArray(labels) ? labels : (state?.classes ?? null);
  const resolution = meta?.resolution ?? state?.resolution.crop;
  return {
    model,
    from,
    ...(state ? { state } : {}),
    step: state?.step ?? 0,
    finished: from === 'model' || (state?.finished ?? false),
    classes: classes ? [...classes] : null,
    ...(resolution !== undefined ? { resolution } : {}),
    metrics,
    store,
  };
}
