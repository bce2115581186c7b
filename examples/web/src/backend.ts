/**
 * Backend choice for the app (the libraries never pick one). Registers cpu, wasm, webgl and
 * webgpu, and switches to the one asked for, falling back (webgpu -> webgl -> wasm -> cpu) when
 * the browser cannot give it. Used by the page and by the training worker.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { WasmPaths } from './teach/protocol';

/** Backends the app knows, in the order `?backend=` accepts them. */
export const BACKENDS = ['webgl', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Default when nothing is asked for: WebGL, then wasm. */
const DEFAULT_ORDER: readonly BackendName[] = ['webgl', 'wasm', 'cpu'];

function absolute(url: string): string {
  return new URL(url, self.location.href).href;
}

/** URLs of the wasm binaries as bundled (absolute, so a worker can use them too). */
export function wasmPaths(): WasmPaths {
  return {
    'tfjs-backend-wasm.wasm': absolute(wasmPlain),
    'tfjs-backend-wasm-simd.wasm': absolute(wasmSimd),
    'tfjs-backend-wasm-threaded-simd.wasm': absolute(wasmThreadedSimd),
  };
}

let wasmConfigured = false;

/** Points the wasm backend at its binaries (once per realm). */
export function configureWasm(paths: WasmPaths): void {
  if (wasmConfigured) return;
  setWasmPaths(paths);
  wasmConfigured = true;
}

/** Reads `?backend=` (null when absent); throws for a name the app does not know. */
export function requestedBackend(search: string): BackendName | null {
  const value = new URLSearchParams(search).get('backend');
  if (value === null || value === '') return null;
  if (!(BACKENDS as readonly string[]).includes(value)) {
    throw new Error(`unknown backend '${value}' in ?backend=; use one of ${BACKENDS.join(', ')}`);
  }
  return value as BackendName;
}

async function tryBackend(name: string): Promise<string | null> {
  if (name === 'webgpu' && !(await hasWebGpuAdapter())) {
    return 'the browser gives no WebGPU adapter (Chromium needs --enable-unsafe-webgpu here)';
  }
  try {
    if (!(await tf.setBackend(name))) return `tf.setBackend('${name}') failed`;
    await tf.ready();
    return tf.getBackend() === name ? null : `backend is ${tf.getBackend()}`;
  } catch (error) {
    return (error as Error).message;
  }
}

/** True when navigator.gpu gives an adapter. */
export async function hasWebGpuAdapter(): Promise<boolean> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (gpu === undefined) return false;
  try {
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}

/** What {@link useBackend} ended up with. */
export interface BackendChoice {
  readonly name: string;
  /** Why the backends tried before it were not used (empty when the first one worked). */
  readonly fallbacks: readonly string[];
}

/**
 * Switches tfjs to `wanted` (default WebGL), or to the next backend that works.
 * @throws Error when no backend at all can start.
 */
export async function useBackend(
  wanted: BackendName | null,
  paths: WasmPaths,
): Promise<BackendChoice> {
  configureWasm(paths);
  const order =
    wanted === null ? DEFAULT_ORDER : [wanted, ...DEFAULT_ORDER.filter((b) => b !== wanted)];
  const fallbacks: string[] = [];
  for (const name of order) {
    const failure = await tryBackend(name);
    if (failure === null) return { name, fallbacks };
    fallbacks.push(`${name}: ${failure}`);
  }
  throw new Error(`no tfjs backend could start (${fallbacks.join('; ')})`);
}
