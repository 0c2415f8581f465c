import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The end-to-end suites start child processes; two cores, so keep parallelism modest.
    maxWorkers: 2,
  },
});
