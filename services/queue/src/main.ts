import { createRedis, openInfra, runService, serverSettings, sessionRevocations } from '@tiketi/kit';
import { buildApp } from './app.ts';
import { configShape } from './config.ts';

await runService('queue', configShape, async (config, logger) => {
  const infra = await openInfra({ service: 'queue', redis: true, bus: true }, config, logger);
  const adapterRedis = createRedis(config.REDIS_URL, '');
  const service = await buildApp({
    server: serverSettings(config, infra.metrics),
    config,
    logger,
    auth: {
      jwks: config.JWKS_URL,
      internalToken: config.INTERNAL_TOKEN,
      revocations: sessionRevocations(infra.redis, { logger }),
    },
    redis: infra.redis,
    adapterRedis,
    bus: infra.bus,
    readiness: infra.readiness,
  });
  return {
    ...service,
    infra: {
      start: infra.start,
      close: async () => {
        await infra.close();
        adapterRedis.disconnect();
      },
    },
  };
});
