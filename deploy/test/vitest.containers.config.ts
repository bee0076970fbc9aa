import { defineConfig } from 'vitest/config';

const jsonReport = process.env.VITEST_JSON_REPORT;

/** `npm run test:containers` alone: it builds and runs every image, far too slow for `npm test`. */
export default defineConfig({
  test: {
    include: ['deploy/test/containers.e2e.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 25 * 60_000,
    reporters: jsonReport ? ['default', 'json'] : ['default'],
    ...(jsonReport ? { outputFile: { json: jsonReport } } : {}),
  },
});
