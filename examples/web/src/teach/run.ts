/**
 * One Teach run: loads the starting model from its .npz, fine-tunes it on the taught images with
 * @bit/train (HyperRule schedule rescaled to `steps`), reports every step and evaluation, and
 * returns the trained model as an .npz. Runs in the training worker (or on the page with
 * `?worker=0`); the caller has chosen the backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fromBlobs } from '@bit/data';
import { exportNpz, loadBiT, MemorySink } from '@bit/models';
import { fineTune } from '@bit/train';
import type { TeachEvent, TeachRequest } from './protocol';

/** Precrop / crop, as the HyperRule's 160 / 128. */
export const PRECROP_RATIO = 160 / 128;

/** How many accuracy points the chart gets over a run. */
const EVALS_PER_RUN = 8;

function copyOut(bytes: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(out).set(bytes);
  return out;
}

/**
 * Runs the request; `emit` gets progress. Returns the final 'done' event (whose `npz` the caller
 * may transfer). Throws on failure; aborting through `signal` ends with status 'aborted'.
 */
export async function runTeach(
  request: TeachRequest,
  emit: (event: TeachEvent) => void,
  signal: AbortSignal,
): Promise<Extract<TeachEvent, { type: 'done' }>> {
  const { classes, crop } = request;
  if (classes.length < 2) throw new Error('Teach needs at least two classes');
  const base = await loadBiT(new Blob([request.npz]), { labels: null });
  const train = fromBlobs(
    request.images.map((im) => ({ blob: im.blob, label: im.label, name: im.name })),
    { classes },
  );
  const evalEvery = Math.max(1, Math.round(request.steps / EVALS_PER_RUN));
  let trained: Awaited<ReturnType<typeof fineTune>>['model'] | undefined;
  try {
    const result = await fineTune({
      model: base,
      train,
      // Accuracy on the taught images themselves (eval transform: resize, no augmentation).
      val: train,
      steps: request.steps,
      batchSize: request.batchSize,
      baseLr: request.baseLr,
      seed: request.seed,
      resolution: { precrop: Math.round(crop * PRECROP_RATIO), crop },
      // Head only: the frozen backbone's features of the taught images are computed once and a
      // linear head is trained on them (no augmentation; seconds). Full: the whole network, with
      // the HyperRule's random crop and flip.
      headOnly: request.mode === 'head',
      precomputeFeatures: request.mode === 'head',
      newHead: true,
      evalEvery,
      signal,
      onWarning: (message) => emit({ type: 'warning', message }),
      callbacks: {
        onStepEnd: (m, context) => {
          if (m.step === 0) emit({ type: 'started', backend: tf.getBackend(), plan: context.plan });
          emit({
            type: 'step',
            step: m.step,
            loss: m.loss,
            lr: m.lr,
            imagesPerSecond: m.imagesPerSecond,
          });
        },
        onEvalEnd: (m) => emit({ type: 'eval', step: m.step, accuracy: m.top1, loss: m.loss }),
      },
    });
    trained = result.model;
    const sink = new MemorySink(1 << 20);
    await exportNpz(result.model, sink);
    return {
      type: 'done',
      status: result.status,
      step: result.step,
      npz: copyOut(sink.bytes()),
      classes: result.classes,
      crop,
    };
  } finally {
    // The trained model shares the backbone's layers with `base` (a new head on top), so one
    // dispose frees them; disposing both would free the shared layers twice.
    (trained ?? base).dispose();
  }
}
