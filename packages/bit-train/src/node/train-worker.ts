/**
 * Worker thread entry of data-parallel training (built to dist/train-worker.js and .cjs): holds
 * its own tfjs backend and copy of the model, and computes the gradients of its shard of each
 * batch at the weights the main thread shares before the step.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { buildResNetV2, features, modelWeights, predict, setBiTMetadata } from '@bit/models';
import { prepareBackendForTraining } from '../backend';
import { accumulateGradients } from '../loop/step';
import { makeTarget, type TrainTarget } from '../loop/target';
import { copyOut, tensorOfView } from './heap-view';
import { startWorkerBackend } from './worker-backend';
import type {
  FromTrainWorker,
  InferInitMessage,
  InferMessage,
  InitMessage,
  StepMessage,
  ToTrainWorker,
  WeightSlot,
} from './train-worker-protocol';

const port = parentPort;
let target: TrainTarget | undefined;
let inferModel: tfl.LayersModel | undefined;
let slots: readonly WeightSlot[] = [];
let shared: Float32Array | undefined;
let gradients: Float32Array | undefined;
// Messages are handled one at a time, in order.
let queue: Promise<void> = Promise.resolve();

function post(m: FromTrainWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(m, transfer);
}

function fail(e: unknown, id?: number): void {
  const err = e instanceof Error ? e : new Error(String(e));
  const inputError = (err as { inputError?: unknown }).inputError;
  post({
    type: 'error',
    ...(id !== undefined ? { id } : {}),
    name: err.name,
    message: err.message,
    ...(typeof inputError === 'boolean' ? { inputError } : {}),
  });
}

/** The model copy: built from the architecture, every weight set by checkpoint name. */
function buildCopy(m: InitMessage | InferInitMessage): tfl.LayersModel {
  const model = buildResNetV2(m.architecture, { kernelInitializer: 'zeros' });
  const byName = new Map(m.weights.map((w) => [w.name, w]));
  for (const w of modelWeights(model)) {
    const given = byName.get(w.name);
    if (!given) throw new Error(`worker: no value for weight ${w.name}`);
    tf.tidy(() => {
      w.variable.write(tf.tensor(given.data, given.shape, 'float32'));
    });
  }
  return model;
}

async function initInfer(m: InferInitMessage): Promise<void> {
  await startWorkerBackend(m.backend, m.imports);
  inferModel = buildCopy(m);
  if (m.metadata) setBiTMetadata(inferModel, m.metadata);
}

async function infer(m: InferMessage): Promise<void> {
  if (!inferModel) throw new Error('inference worker: infer before init');
  const model = inferModel;
  const images = tf.tensor4d(m.images, [...m.shape] as [number, number, number, number]);
  try {
    if (m.op === 'predict') {
      post({ type: 'inferred', id: m.id, result: await predict(model, images, m.options) });
    } else if (m.op === 'features') {
      const result = await features(model, images);
      post({ type: 'inferred', id: m.id, result }, [
        ...new Set(result.map((f) => f.buffer as ArrayBuffer)),
      ]);
    } else {
      const logits = tf.tidy(() => model.predict(images) as tf.Tensor);
      const result = new Float32Array(await logits.data());
      logits.dispose();
      post({ type: 'inferred', id: m.id, result }, [result.buffer as ArrayBuffer]);
    }
  } finally {
    images.dispose();
  }
}

async function init(m: InitMessage): Promise<void> {
  await startWorkerBackend(m.backend, m.imports);
  prepareBackendForTraining();
  const model = buildCopy(m);
  target = makeTarget(model, m.mode);
  const names = target.weights.map((w) => w.name);
  if (names.length !== m.slots.length || names.some((n, i) => n !== m.slots[i].name)) {
    throw new Error('train worker: the trainable weights differ from the main thread');
  }
  slots = m.slots;
  shared = new Float32Array(m.shared);
  gradients = new Float32Array(m.gradients);
}

async function step(m: StepMessage): Promise<void> {
  if (!target || !shared || !gradients) throw new Error('train worker: step before init');
  const t = target;
  const values = shared;
  const out = gradients;
  // New tensors, not writes into the variables' memory: kernels may cache by data id.
  tf.tidy(() => {
    t.weights.forEach((w, i) => {
      const slot = slots[i];
      w.variable.assign(
        tensorOfView(values.subarray(slot.offset, slot.offset + slot.size), slot.shape),
      );
    });
  });
  const { grads, loss } = await accumulateGradients(
    t,
    { inputs: m.inputs, shape: m.shape, targets: m.targets, numClasses: m.numClasses },
    m.plan,
  );
  const has: boolean[] = [];
  try {
    t.weights.forEach((w, i) => {
      const g = grads.get(w.name);
      has.push(g !== undefined);
      if (g) copyOut(g, out, slots[i].offset);
    });
  } finally {
    tf.dispose([...grads.values()]);
  }
  post({ type: 'grads', id: m.id, loss, has });
}

if (port) {
  port.on('message', (m: ToTrainWorker) => {
    queue = queue.then(async () => {
      try {
        if (m.type === 'init' || m.type === 'init-infer') {
          await (m.type === 'init' ? init(m) : initInfer(m));
          post({ type: 'ready' });
        } else if (m.type === 'step') {
          await step(m);
        } else {
          await infer(m);
        }
      } catch (e) {
        fail(e, m.type === 'step' || m.type === 'infer' ? m.id : undefined);
      }
    });
  });
}
