import { openInfra, runService, serverSettings, sessionRevocations } from '@tiketi/kit';
import { buildApp } from './app.ts';
import { configShape } from './config.ts';
import type { DB } from './db/schema.ts';

const migrations = new URL('../migrations', import.meta.url).pathname;

await runService('reservation', configShape, async (config, logger) => {
  const infra = await openInfra<
    { service: 'reservation'; database: { name: string; migrations: string }; redis: true; bus: true },
    DB
  >(
    { service: 'reservation', database: { name: config.DATABASE_NAME, migrations }, redis: true, bus: true },
    config,
    logger,
  );
  const service = await buildApp({
    server: serverSettings(config, infra.metrics),
    config,
    db: infra.db,
    redis: infra.redis,
    revocations: sessionRevocations(infra.redis, { logger }),
    bus: infra.bus,
    logger,
    readiness: infra.readiness,
  });
  return {
    app: service.app,
    async start() {
      await infra.start();
      await service.start();
    },
    async stop() {
      await service.stop();
      await infra.close();
    },
  };
});
