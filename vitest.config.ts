import { defineConfig } from 'vitest/config';

const jsonReport = process.env.VITEST_JSON_REPORT;

/**
 * Files that start a whole platform, hundreds of sockets or hundreds of concurrent requests. On a
 * 2-core machine they starve each other when run side by side, so they run one at a time, after the rest.
 */
const heavy = [
  'apps/web/test/**/*.e2e.test.ts',
  'services/queue/test/fairness.test.ts',
  'services/queue/test/resilience.test.ts',
  'services/reservation/test/double-sell.test.ts',
  'services/reservation/test/voucher-race.test.ts',
  'services/admin/test/composition.test.ts',
  'tests/**/*.test.ts',
];

const everything = [
  'packages/*/{src,test}/**/*.test.ts',
  'services/*/{src,test}/**/*.test.ts',
  'sandbox/*/{src,test}/**/*.test.ts',
  'scripts/**/*.test.ts',
  'deploy/**/*.test.ts',
  'apps/*/test/**/*.test.ts',
  'tests/**/*.test.ts',
];

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    maxWorkers: 3,
    // CI also writes a JSON report, from which .ci/run prints its closing "N passed, N failed" line.
    reporters: jsonReport ? ['default', 'json'] : ['default'],
    ...(jsonReport ? { outputFile: { json: jsonReport } } : {}),
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: everything,
          exclude: [...heavy, '**/node_modules/**'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'heavy',
          include: heavy,
          exclude: ['**/node_modules/**'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
