import { defineConfig } from 'vitest/config';
import root from '../../vitest.config';

/** The e2e suite (npm run test:e2e): the built web app in Chromium, one file at a time. */
export default defineConfig({
  resolve: root.resolve,
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    testTimeout: 300_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
  },
});
