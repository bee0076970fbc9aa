import { openServiceInfra, runService, serviceDeps, sessionRevocations } from '@tiketi/kit';
import { buildApp } from './app.ts';
import { configShape } from './config.ts';
import type { DB } from './db/schema.ts';

const migrations = new URL('../migrations', import.meta.url);

await runService('payment', configShape, async (config, logger) => {
  const infra = await openServiceInfra<DB>('payment', migrations, config, logger);
  const service = await buildApp({
    ...serviceDeps(config, infra, logger),
    config,
    db: infra.db,
    bus: infra.bus,
    revocations: sessionRevocations(infra.redis, { logger }),
  });
  return { ...service, infra };
});
