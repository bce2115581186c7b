/**
 * Worker thread entry of the pool (built to dist/worker.js and dist/worker.cjs): decodes
 * and transforms images, sending float32 pixels back (transferred, not copied).
 */
import { parentPort } from 'node:worker_threads';
import { loadSharp } from './decode/sharp';
import type { DecoderPreference } from './decode';
import { runWireTasks } from './worker-job';
import type { FromWorker, ToWorker } from './worker-protocol';

let decoder: DecoderPreference = 'auto';
const port = parentPort;

if (port) {
  port.on('message', (message: ToWorker) => {
    void handle(message);
  });
}

async function handle(message: ToWorker): Promise<void> {
  const post = (m: FromWorker, transfer: ArrayBuffer[] = []): void =>
    port!.postMessage(m, transfer);
  if (message.type === 'init') {
    try {
      decoder = message.decoder;
      const sharp = decoder === 'js' ? null : await loadSharp();
      // One libvips thread per worker: the pool provides the parallelism.
      sharp?.concurrency(1);
      for (const spec of message.imports) await import(spec);
      post({ type: 'ready' });
    } catch (e) {
      post({ type: 'init-error', message: e instanceof Error ? e.message : String(e) });
    }
    return;
  }
  try {
    const { out, errors } = await runWireTasks(message.tasks, message.pixels, decoder);
    post({ type: 'done', id: message.id, out, errors }, [out.buffer as ArrayBuffer]);
  } catch (e) {
    post({ type: 'failed', id: message.id, message: e instanceof Error ? e.message : String(e) });
  }
}
