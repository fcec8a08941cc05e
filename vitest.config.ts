import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

export default defineConfig({
  plugins: [vue()],
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // End-to-end files start a web host and a browser each: keep them apart
    // from one another, but let unit files run in parallel.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
