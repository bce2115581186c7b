/**
 * Worker thread entry of data-parallel training (built to dist/train-worker.js and .cjs): holds
 * its own tfjs backend and copy of the model, and computes the gradients of its shard of each
 * batch at the weights the main thread shares before the step.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { buildResNetV2, modelWeights } from '@bit/models';
import { prepareBackendForTraining } from '../backend';
import { accumulateGradients } from '../loop/step';
import { makeTarget, type TrainTarget } from '../loop/target';
import { copyOut } from './heap-view';
import { startWorkerBackend } from './worker-backend';
import type {
  FromTrainWorker,
  InitMessage,
  StepMessage,
  ToTrainWorker,
  WeightSlot,
} from './train-worker-protocol';

const port = parentPort;
let target: TrainTarget | undefined;
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

async function init(m: InitMessage): Promise<void> {
  await startWorkerBackend(m.backend, m.imports);
  prepareBackendForTraining();
  const model = buildResNetV2(m.architecture, { kernelInitializer: 'zeros' });
  const byName = new Map(m.weights.map((w) => [w.name, w]));
  for (const w of modelWeights(model)) {
    const given = byName.get(w.name);
    if (!given) throw new Error(`train worker: no initial value for weight ${w.name}`);
    tf.tidy(() => {
      w.variable.write(tf.tensor(given.data, given.shape, 'float32'));
    });
  }
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
  // wasm copies a tensor's values into its heap when it is made; other backends keep the
  // array, which the main thread overwrites before the next step.
  const copy = tf.getBackend() !== 'wasm';
  tf.tidy(() => {
    t.weights.forEach((w, i) => {
      const slot = slots[i];
      const view = values.subarray(slot.offset, slot.offset + slot.size);
      w.variable.assign(tf.tensor(copy ? view.slice() : view, [...slot.shape], 'float32'));
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
        if (m.type === 'init') {
          await init(m);
          post({ type: 'ready' });
        } else {
          await step(m);
        }
      } catch (e) {
        fail(e, m.type === 'step' ? m.id : undefined);
      }
    });
  });
}
