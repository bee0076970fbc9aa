import { createRedis, openInfra, runService, serviceDeps, sessionRevocations } from '@tiketi/kit';
import { buildApp } from './app.ts';
import { configShape } from './config.ts';

await runService('queue', configShape, async (config, logger) => {
  const infra = await openInfra({ service: 'queue', redis: true, bus: true }, config, logger);
  const adapterRedis = createRedis(config.REDIS_URL, '');
  const service = await buildApp({
    ...serviceDeps(config, infra, logger),
    config,
    auth: {
      jwks: config.JWKS_URL,
      internalToken: config.INTERNAL_TOKEN,
      revocations: sessionRevocations(infra.redis, { logger }),
      attestationKey: config.TOKEN_ATTESTATION_KEY,
    },
    redis: infra.redis,
    adapterRedis,
    bus: infra.bus,
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
