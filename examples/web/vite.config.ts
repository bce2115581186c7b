import { defineConfig } from 'vite';

/** Cross-origin isolation, so the wasm backend can use threads (SharedArrayBuffer). */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  // Relative URLs: dist/ works from any static server path.
  base: './',
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 4096 },
  worker: { format: 'es' },
  // Keep the model file a file (never inlined as a data: URL): it is loaded with Range requests.
  assetsInclude: ['**/*.npz'],
  server: { headers: isolation, host: '127.0.0.1' },
  preview: { headers: isolation, host: '127.0.0.1' },
});
