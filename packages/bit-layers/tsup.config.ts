import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.base';

export default defineConfig(
  libraryConfig({ index: 'src/index.ts', kernels: 'src/kernels/index.ts' }),
);
