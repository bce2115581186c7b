import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.base';

export default defineConfig(
  libraryConfig(
    { cli: 'src/cli.ts' },
    { format: ['esm'], dts: false, platform: 'node', banner: { js: '#!/usr/bin/env node' } },
  ),
);
