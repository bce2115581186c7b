import * as tf from '@tensorflow/tfjs-core';
import { UsageError } from './errors';
import { closest } from './suggest';

/** How to bring up one tfjs backend in Node: a loader that imports and registers it. */
export interface BackendLoader {
  /** Imports the backend package (dynamic import: optional packages stay optional). */
  load(): Promise<void>;
  /** Shown when the package is missing. */
  install: string;
  /** Modules a worker thread imports to bring the same backend up (`--workers`). */
  modules?: readonly string[];
}

const BACKENDS = new Map<string, BackendLoader>();

/** Registers a backend loader under `name` (the registry behind `--backend`). */
export function registerBackendLoader(name: string, loader: BackendLoader): void {
  BACKENDS.set(name, loader);
}

/** Names of the registered backend loaders, fastest first (the order of `--backend` auto). */
export function backendNames(): string[] {
  return [...BACKENDS.keys()];
}

registerBackendLoader('node-gpu', {
  load: async () => {
    await import('@tensorflow/tfjs-node-gpu' as string);
  },
  install:
    'npm install @tensorflow/tfjs-node-gpu (needs CUDA and network access to download libtensorflow)',
  modules: ['@tensorflow/tfjs-node-gpu'],
});
registerBackendLoader('node', {
  load: async () => {
    await import('@tensorflow/tfjs-node' as string);
  },
  install: 'npm install @tensorflow/tfjs-node (downloads libtensorflow at install time)',
  modules: ['@tensorflow/tfjs-node'],
});
registerBackendLoader('wasm', {
  load: async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    // tfjs 4.22's wasm lacks Conv2DBackpropFilter and gets MaxPoolGrad wrong for negative
    // inputs: the CLI picks the backend, so it registers @bit/layers' kernels (after the wasm
    // import, which registers its own).
    const { registerWasmTrainingKernels } = await import('@bit/layers/kernels');
    registerWasmTrainingKernels();
  },
  install: 'npm install @tensorflow/tfjs-backend-wasm',
  // The workers register @bit/layers' training kernels themselves.
  modules: ['@tensorflow/tfjs-backend-wasm'],
});
registerBackendLoader('cpu', {
  load: async () => {
    await import('@tensorflow/tfjs-backend-cpu');
    const { registerCpuTrainingKernels } = await import('@bit/layers/kernels');
    registerCpuTrainingKernels();
  },
  install: 'npm install @tensorflow/tfjs-backend-cpu',
  modules: ['@tensorflow/tfjs-backend-cpu'],
});

/** tfjs-node registers itself as 'tensorflow'. */
const ENGINE_NAME: Record<string, string> = { node: 'tensorflow', 'node-gpu': 'tensorflow' };

async function tryLoad(name: string): Promise<boolean> {
  const loader = BACKENDS.get(name)!;
  try {
    await loader.load();
  } catch {
    return false;
  }
  const engineName = ENGINE_NAME[name] ?? name;
  if (!(await tf.setBackend(engineName))) return false;
  await tf.ready();
  const backend = tf.backend() as unknown as { firstUse?: boolean };
  if ('firstUse' in backend) backend.firstUse = false; // no "install tfjs-node" banner on cpu
  return true;
}

/**
 * Selects the backend for this process: `name` when given (an error saying how to install it
 * when it is missing), else the fastest one installed (node-gpu, node, wasm, cpu).
 */
export async function selectBackend(name: string | undefined, usage: string): Promise<string> {
  if (name !== undefined && name !== 'auto') {
    const loader = BACKENDS.get(name);
    if (!loader) {
      const near = closest(name, backendNames());
      throw new UsageError(
        `--backend must be one of ${backendNames().join(', ')} or auto, got '${name}'${near ? `; did you mean ${near}?` : ''}`,
        usage,
      );
    }
    if (!(await tryLoad(name))) {
      throw new UsageError(
        `backend '${name}' is not installed or failed to start: ${loader.install}`,
        usage,
      );
    }
    return name;
  }
  for (const candidate of backendNames()) {
    if (await tryLoad(candidate)) return candidate;
  }
  throw new Error('no tfjs backend could be started');
}

/**
 * What worker threads need to run on backend `name` (as selectBackend returned it): the tfjs
 * engine name and the modules to import first.
 */
export function workerBackend(name: string): { backend: string; imports: string[] } {
  return {
    backend: ENGINE_NAME[name] ?? name,
    imports: [...(BACKENDS.get(name)?.modules ?? [])],
  };
}

/**
 * The `workers` option of a training run for `--workers n` on backend `name`: undefined for 1
 * (this thread only), else n replicas on the same backend.
 */
export function trainWorkers(
  n: number,
  name: string,
): { workers: number; backend: string; imports: string[] } | undefined {
  return n > 1 ? { workers: n, ...workerBackend(name) } : undefined;
}
