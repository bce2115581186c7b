/**
 * Starts a Teach run in a Web Worker (default) or on the page (`?worker=0`), with the same
 * events either way, and cancel.
 */
import type { TeachCommand, TeachEvent, TeachRequest } from './protocol';

/** A run in progress. */
export interface TeachRun {
  /** Resolves with the 'done' event, or rejects with the run's error. */
  readonly finished: Promise<Extract<TeachEvent, { type: 'done' }>>;
  cancel(): void;
  /** True when it runs in a worker. */
  readonly inWorker: boolean;
}

/** Starts `request`; `onEvent` sees every progress event ('step', 'eval', 'started', 'warning'). */
export function startTeach(
  request: TeachRequest,
  onEvent: (event: TeachEvent) => void,
  options: { worker: boolean },
): TeachRun {
  if (!options.worker) return startInline(request, onEvent);
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  const finished = new Promise<Extract<TeachEvent, { type: 'done' }>>((resolve, reject) => {
    worker.onmessage = (message: MessageEvent<TeachEvent>) => {
      const event = message.data;
      if (event.type === 'done') {
        worker.terminate();
        resolve(event);
      } else if (event.type === 'error') {
        worker.terminate();
        reject(new Error(event.message));
      } else {
        onEvent(event);
      }
    };
    worker.onerror = (e) => {
      worker.terminate();
      reject(new Error(`the training worker failed: ${e.message || 'could not start'}`));
    };
  });
  const send = (command: TeachCommand, transfer: Transferable[] = []) =>
    worker.postMessage(command, transfer);
  send({ type: 'train', request }, [request.npz]);
  return { finished, cancel: () => send({ type: 'cancel' }), inWorker: true };
}

function startInline(request: TeachRequest, onEvent: (event: TeachEvent) => void): TeachRun {
  const controller = new AbortController();
  const finished = import('./run').then(({ runTeach }) =>
    runTeach(request, onEvent, controller.signal),
  );
  return { finished, cancel: () => controller.abort(), inWorker: false };
}
