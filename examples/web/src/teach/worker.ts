/**
 * The training worker: picks the page's backend in its own tfjs, runs one Teach request at a
 * time and posts progress. Training here keeps the page responsive (the chart, cancel, classify).
 */
import { useBackend, type BackendName } from '../backend';
import type { TeachCommand, TeachEvent } from './protocol';
import { runTeach } from './run';

const scope = self as unknown as {
  postMessage(message: TeachEvent, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<TeachCommand>) => void) | null;
};

let controller: AbortController | null = null;

async function train(command: Extract<TeachCommand, { type: 'train' }>): Promise<void> {
  const { request } = command;
  controller = new AbortController();
  try {
    const choice = await useBackend(request.backend as BackendName, request.wasmPaths);
    if (choice.name !== request.backend) {
      throw new Error(
        `the worker could not start the ${request.backend} backend (${choice.fallbacks.join('; ')})`,
      );
    }
    const done = await runTeach(request, (e) => scope.postMessage(e), controller.signal);
    scope.postMessage(done, [done.npz]);
  } catch (error) {
    scope.postMessage({ type: 'error', message: (error as Error).message ?? String(error) });
  } finally {
    controller = null;
  }
}

scope.onmessage = (event) => {
  const command = event.data;
  if (command.type === 'cancel') controller?.abort();
  else if (command.type === 'train') void train(command);
};
