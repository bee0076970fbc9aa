import { openInfra, runService, serverSettings, sessionRevocations } from '@tiketi/kit';
import { buildApp } from './app.ts';
import { configShape } from './config.ts';
import type { DB } from './db/schema.ts';

const migrations = new URL('../migrations', import.meta.url).pathname;

await runService('payment', configShape, async (config, logger) => {
  const infra = await openInfra<
    { service: 'payment'; database: { name: string; migrations: string }; redis: true; bus: true },
    DB
  >(
    { service: 'payment', database: { name: config.DATABASE_NAME, migrations }, redis: true, bus: true },
    config,
    logger,
  );
  const service = await buildApp({
    server: serverSettings(config, infra.metrics),
    config,
    db: infra.db,
    bus: infra.bus,
    revocations: sessionRevocations(infra.redis, { logger }),
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
