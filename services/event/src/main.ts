import { createAuth, openServiceInfra, runService, serviceDeps, sessionRevocations } from '@tiketi/kit';
import { buildApp } from './app.ts';
import { mediaClient } from './clients/media.client.ts';
import { configShape } from './config.ts';
import { artistRepository } from './db/artist.repository.ts';
import { catalogueCache } from './db/catalogue.cache.ts';
import { eventRepository } from './db/event.repository.ts';
import type { DB } from './db/schema.ts';
import { startConsumers } from './events/consumers.ts';
import { seedDemo } from './seed.ts';

const migrations = new URL('../migrations', import.meta.url);

await runService('event', configShape, async (config, logger) => {
  const infra = await openServiceInfra<DB>('event', migrations, config, logger);
  if (config.SEED_DEMO) {
    const seeded = await seedDemo(infra.db, { redis: infra.redis });
    if (seeded.length) logger.info({ events: seeded }, 'demo catalogue seeded');
  }
  const app = await buildApp({
    ...serviceDeps(config, infra, logger),
    db: infra.db,
    redis: infra.redis,
    publicCacheSeconds: config.PUBLIC_CACHE_SECONDS,
    auth: createAuth({ jwks: config.JWKS_URL, revocations: sessionRevocations(infra.redis, { logger }) }),
    media: mediaClient(config.MEDIA_SERVICE_URL),
  });
  return {
    app,
    infra,
    async start() {
      await startConsumers({
        bus: infra.bus,
        db: infra.db,
        artists: artistRepository(infra.db),
        events: eventRepository(infra.db),
        cache: catalogueCache(infra.redis, logger),
        logger,
      });
    },
    stop: infra.close,
  };
});
