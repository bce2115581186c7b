import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.base';

// worker: the worker_threads entry of the pool (resolved beside dist/node.{js,cjs}).
// shims: import.meta.url in the CJS build, so the pool finds dist/worker.cjs.
// splitting: index, node and worker share chunks, so there is one copy of each module
// (one error class, one registry) whichever entry a program imports.
export default defineConfig(
  libraryConfig(
    { index: 'src/index.ts', node: 'src/node.ts', worker: 'src/node/worker.ts' },
    {
      shims: true,
      splitting: true,
      external: [/^@tensorflow\//, /^@bit\//, /^node:/, 'sharp', 'jpeg-js', 'pngjs'],
    },
  ),
);
