/**
 * Test helper: the tfjs backends the suites run on, set up once per worker.
 * The libraries never pick a backend; tests (like applications) do.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

export const BACKENDS = ['cpu', 'wasm'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Switches the global engine to `name`, waiting for wasm to initialise. */
export async function useBackend(name: BackendName): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
}

export { tf };
