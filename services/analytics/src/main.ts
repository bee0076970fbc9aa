import { openServiceInfra, periodicJob, runService, serviceDeps, sessionRevocations } from '@tiketi/kit';
import { buildApp } from './app.ts';
import { configShape } from './config.ts';
import type { DB } from './db/schema.ts';
import { startConsumers } from './events/consumers.ts';

const migrations = new URL('../migrations', import.meta.url);

await runService('analytics', configShape, async (config, logger) => {
  const infra = await openServiceInfra<DB>('analytics', migrations, config, logger);
  const { app, counters, buffer, rollup } = await buildApp({
    ...serviceDeps(config, infra, logger),
    db: infra.db,
    redis: infra.redis,
    jwks: config.JWKS_URL,
    revocations: sessionRevocations(infra.redis, { logger }),
    settings: {
      eventServiceUrl: config.EVENT_SERVICE_URL,
      rateLimit: {
        perVisitor: config.TRACK_RATE_LIMIT,
        perIp: config.TRACK_IP_RATE_LIMIT,
        windowMs: config.TRACK_RATE_WINDOW_MS,
      },
      batch: { size: config.TRACK_BATCH_SIZE, flushMs: config.TRACK_FLUSH_MS },
      counterTtlSeconds: config.COUNTER_TTL_SECONDS,
    },
  });
  // An interval of 0 leaves the rollups to the Kubernetes CronJob (src/jobs/rollup.ts).
  const schedule = periodicJob({
    name: 'rollup',
    pass: rollup.run,
    intervalMs: config.ROLLUP_INTERVAL_MS,
    logger,
    metrics: infra.metrics,
  });
  return {
    app,
    infra,
    async start() {
      await startConsumers({ bus: infra.bus, db: infra.db, counters });
      schedule.start();
    },
    async stop() {
      await schedule.stop();
      // HTTP has drained: write the raw events still buffered before the pool closes.
      await buffer.stop();
    },
  };
});
