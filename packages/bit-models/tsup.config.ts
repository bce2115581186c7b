import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.base';

// The label lists are JSON files of the package (labels/*.json), imported on first use with
// `with { type: 'json' }`: shipped once for the ESM and CJS builds. esbuild drops import
// attributes for an es2022 target unless told they are supported (Node >= 20.10 has them).
export default defineConfig(
  libraryConfig(
    { index: 'src/index.ts', node: 'src/node.ts' },
    {
      splitting: true,
      // tsup's extra Rollup tree-shaking pass rewrites `with` to the old `assert` (gone in Node 22);
      // esbuild tree-shakes the bundle already.
      treeshake: false,
      // import.meta.url in the CJS build (embedded assets, the package folder).
      shims: true,
      esbuildOptions(options) {
        options.supported = {
          ...options.supported,
          'import-attributes': true,
          'import-assertions': false,
        };
      },
    },
  ),
);
