/**
 * Browser side: onnxruntime-web as the test pages and the browser benchmark load it — its own
 * dist/ served at /ort/ (see `ortWebDistDir`), imported at run time, not bundled.
 */
import type * as Ort from 'onnxruntime-web';

/** Imports onnxruntime-web's wasm build from /ort/, with as many threads as the page may use. */
export async function importOrtWeb(): Promise<typeof Ort> {
  const ort = (await import(
    /* @vite-ignore */ `${location.origin}/ort/ort.wasm.min.mjs`
  )) as typeof Ort;
  ort.env.wasm.wasmPaths = `${location.origin}/ort/`;
  // Threads need a cross-origin isolated page (COOP/COEP).
  ort.env.wasm.numThreads = crossOriginIsolated ? navigator.hardwareConcurrency : 1;
  return ort;
}
