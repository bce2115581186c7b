import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.base';

// ESM output is split so the ImageNet-21k label list (~0.5 MB) is a chunk of its own,
// loaded only when asked for.
export default defineConfig(
  libraryConfig({ index: 'src/index.ts', node: 'src/node.ts' }, { splitting: true }),
);
