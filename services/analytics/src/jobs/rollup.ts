/**
 * One rollup run, for a Kubernetes CronJob (`node src/jobs/rollup.ts`): the same job the service runs on
 * its timer, safe beside it (advisory lock, batches applied once). Exits 0 when done or when another
 * instance was already running it, 1 on failure.
 */
import { createLogger, loadConfig, openInfra } from '@tiketi/kit';
import { configShape } from '../config.ts';
import { counterStore } from '../db/counter.store.ts';
import type { DB } from '../db/schema.ts';
import { statsRepository } from '../db/stats.repository.ts';
import { systemClock } from '../domain/kst.ts';
import { rollupJob } from '../domain/rollup.ts';

const config = loadConfig(configShape);
const logger = createLogger('analytics-rollup', config.LOG_LEVEL);
const migrations = new URL('../../migrations', import.meta.url).pathname;
const infra = await openInfra<
  { service: 'analytics'; database: { name: string; migrations: string }; redis: true },
  DB
>(
  { service: 'analytics', database: { name: config.DATABASE_NAME, migrations }, redis: true },
  config,
  logger,
);
try {
  const result = await rollupJob({
    db: infra.db,
    counters: counterStore(infra.redis, { counterTtlSeconds: config.COUNTER_TTL_SECONDS }),
    stats: statsRepository(infra.db),
    clock: systemClock,
    logger,
  }).run();
  if (!result.ran) logger.info('another instance is running the rollup; nothing to do');
} catch (error) {
  logger.error({ err: error }, 'rollup failed');
  process.exitCode = 1;
} finally {
  await infra.close();
}
