/** Bringing up the application's tfjs backend inside a worker thread. */
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_PACKAGES } from './train-worker-protocol';

/** The modules a worker imports to register `backend` (its package, when known). */
export function backendImports(backend: string): string[] {
  const pkg = BACKEND_PACKAGES[backend];
  return pkg ? [pkg] : [];
}

/**
 * Imports `imports` (modules that register backends, kernels or custom layers), then selects
 * `backend`. Throws naming the backend when it is not registered after the imports.
 */
export async function startWorkerBackend(
  backend: string,
  imports: readonly string[],
): Promise<void> {
  for (const spec of imports) await import(spec);
  if (!(await tf.setBackend(backend))) {
    throw new Error(
      `backend '${backend}' is not available in the worker thread (imported: ${imports.join(', ') || 'nothing'}); pass the module that registers it in imports`,
    );
  }
  await tf.ready();
  const b = tf.backend() as unknown as { firstUse?: boolean };
  if ('firstUse' in b) b.firstUse = false; // no "install tfjs-node" banner from cpu
}
