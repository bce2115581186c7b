import * as tf from '@tensorflow/tfjs-core';
import { UsageError } from './errors.js';

/** How to bring up one tfjs backend in Node: a loader that imports and registers it. */
export interface BackendLoader {
  /** Imports the backend package (dynamic import: optional packages stay optional). */
  load(): Promise<void>;
  /** Shown when the package is missing. */
  install: string;
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
});
registerBackendLoader('node', {
  load: async () => {
    await import('@tensorflow/tfjs-node' as string);
  },
  install: 'npm install @tensorflow/tfjs-node (downloads libtensorflow at install time)',
});
registerBackendLoader('wasm', {
  load: async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    // tfjs 4.22's wasm lacks Conv2DBackpropFilter and gets MaxPoolGrad wrong for negative
    // inputs: register the project's kernels (after the wasm import, which registers its own).
    const { registerWasmTrainingKernels } = await import('@bit/train');
    registerWasmTrainingKernels();
  },
  install: 'npm install @tensorflow/tfjs-backend-wasm',
});
registerBackendLoader('cpu', {
  load: async () => {
    await import('@tensorflow/tfjs-backend-cpu');
  },
  install: 'npm install @tensorflow/tfjs-backend-cpu',
});

/** tfjs-node registers itself as 'tensorflow'. */
const ENGINE_NAME: Record<string, string> = { node: 'tensorflow', 'node-gpu': 'tensorflow' };

/** Hooks run after a backend is up (e.g. registering training kernels on wasm). */
const afterInit: Array<(engineName: string) => void> = [];

/** Adds a hook run once a backend has been selected. */
export function onBackendReady(hook: (engineName: string) => void): void {
  afterInit.push(hook);
}

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
  for (const hook of afterInit) hook(engineName);
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
      throw new UsageError(
        `--backend must be one of ${backendNames().join(', ')}, got '${name}'`,
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
