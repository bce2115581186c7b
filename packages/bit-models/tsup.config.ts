import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.base';

// ESM output is split so the ImageNet-21k label list (~0.5 MB) is a chunk of its own,
// loaded only when asked for. shims: import.meta.url in the CJS build, which finds the embedded
// checkpoint in assets/.
export default defineConfig(
  libraryConfig({ index: 'src/index.ts', node: 'src/node.ts' }, { splitting: true, shims: true }),
);
