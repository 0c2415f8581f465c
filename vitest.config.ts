import { defineConfig } from 'vitest/config';
import type { Reporter, TestModule } from 'vitest/node';

/** Ends the run with one plain line, `N passed, N failed, N skipped`, that any CI log reader understands. */
class PlainTotals implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else counts.skipped++;
      }
    }
    process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}

/** Unit test files that mock a module (vi.mock), patch http (nock) or stub the environment (vi.stubEnv). */
const MOCKING_UNIT_FILES = [
  '__tests__/inputs.test.ts',
  '__tests__/untrusted-text.test.ts',
  '__tests__/core/apply.test.ts',
  '__tests__/core/report.test.ts',
  '__tests__/clients/qlik-client.test.ts',
  '__tests__/clients/talend-client.test.ts',
  '__tests__/http/api-client.test.ts',
];

export default defineConfig({
  test: {
    setupFiles: ['__tests__/setup/no-workflow-commands.ts'],
    // `npm run test:unit` runs the first two projects: the modules, with nock and fakes, in
    // seconds. `npm test` runs all four; the others have the emulator, the bundle and real sockets.
    projects: [
      {
        extends: true,
        // Files that mock nothing share their worker's modules instead of loading them again.
        test: {
          name: 'unit',
          include: ['__tests__/*.test.ts', '__tests__/{core,clients,http}/**/*.test.ts'],
          exclude: [...MOCKING_UNIT_FILES, '__tests__/http/api-client-timeouts.test.ts'],
          isolate: false,
        },
      },
      {
        extends: true,
        // vi.mock and nock patch modules: each of these files gets its own.
        test: { name: 'unit-mocked', include: MOCKING_UNIT_FILES },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['__tests__/{e2e,emulator,faults,leaks,hostile,inputs-e2e,bench,demo,ecosystem}/**/*.test.ts'],
          // These files mock nothing and keep their state in their own emulators, so they share a
          // worker's modules instead of loading them again for each file (about 0.4 s of CPU each).
          isolate: false,
        },
      },
      {
        extends: true,
        // Mocks @actions/core and patches http with nock: isolated from everything else.
        test: { name: 'e2e-mocked', include: ['__tests__/http/api-client-timeouts.test.ts'] },
      },
    ],
    // QTO_RUNNER=process runs every action as a child process (scripts/action-runner.ts): six times
    // the CPU, so tests wait longer for a free slot.
    testTimeout: process.env.QTO_RUNNER === 'process' ? 600_000 : 30_000,
    hookTimeout: process.env.QTO_RUNNER === 'process' ? 600_000 : 30_000,
    // Three test files at a time on two cores: the end-to-end files mostly wait (a lease to expire,
    // a request to time out, a retry's backoff), and a run in a thread costs little CPU. Within a
    // file, `describe.concurrent` cells run many at once. (Measured with 1,197 tests: 2 workers
    // 64 s, 3 workers 54-56 s, 4 workers 59-60 s.)
    maxWorkers: 3,
    // Worker threads start faster than forked processes (the isolated projects start one per file).
    pool: 'threads',
    maxConcurrency: 64,
    reporters: ['default', new PlainTotals()],
  },
});
