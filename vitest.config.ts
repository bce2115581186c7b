import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string, file = 'index.ts') =>
  fileURLToPath(new URL(`./packages/${pkg}/src/${file}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@bit\/hyperrule$/, replacement: src('bit-hyperrule') },
      { find: /^@bit\/layers$/, replacement: src('bit-layers') },
      { find: /^@bit\/layers\/kernels$/, replacement: src('bit-layers', 'kernels/index.ts') },
      { find: /^@bit\/models$/, replacement: src('bit-models') },
      { find: /^@bit\/models\/node$/, replacement: src('bit-models', 'node.ts') },
      { find: /^@bit\/data$/, replacement: src('bit-data') },
      { find: /^@bit\/data\/node$/, replacement: src('bit-data', 'node.ts') },
      { find: /^@bit\/train$/, replacement: src('bit-train') },
      { find: /^@bit\/train\/node$/, replacement: src('bit-train', 'node.ts') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
