import { openInfra, runService } from '@tiketi/kit';
import { buildApp } from './app.ts';
import { configShape } from './config.ts';
import type { DB } from './db/schema.ts';
import { seedDemo } from './seed.ts';

const migrations = new URL('../migrations', import.meta.url).pathname;

await runService('event', configShape, async (config, logger) => {
  const infra = await openInfra<
    { service: 'event'; database: { name: string; migrations: string }; redis: true; bus: true },
    DB
  >(
    { service: 'event', database: { name: config.DATABASE_NAME, migrations }, redis: true, bus: true },
    config,
    logger,
  );
  if (config.SEED_DEMO) await seedDemo(infra.db);
  const app = await buildApp({ db: infra.db, logger, readiness: infra.readiness });
  return { app, start: infra.start, stop: infra.close };
});
