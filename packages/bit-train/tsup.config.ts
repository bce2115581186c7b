import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.base';

// train-worker: the worker_threads entry of data-parallel training (resolved beside
// dist/node.{js,cjs}). shims: import.meta.url in the CJS build, so the pool finds
// dist/train-worker.cjs.
export default defineConfig(
  libraryConfig(
    { index: 'src/index.ts', node: 'src/node.ts', 'train-worker': 'src/node/train-worker.ts' },
    { shims: true },
  ),
);
