import { openServiceInfra, runService, serverSettings, sessionRevocations } from '@tiketi/kit';
import { buildApp } from './app.ts';
import { configShape } from './config.ts';
import type { DB } from './db/schema.ts';

const migrations = new URL('../migrations', import.meta.url);

await runService('payment', configShape, async (config, logger) => {
  const infra = await openServiceInfra<DB>('payment', migrations, config, logger);
  const service = await buildApp({
    server: serverSettings(config, infra.metrics),
    config,
    db: infra.db,
    bus: infra.bus,
    revocations: sessionRevocations(infra.redis, { logger }),
    logger,
    readiness: infra.readiness,
  });
  return { ...service, infra };
});
