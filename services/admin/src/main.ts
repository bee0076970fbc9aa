import { openInfra, runService, serverSettings, sessionRevocations } from '@tiketi/kit';
import { buildApp } from './app.ts';
import { configShape } from './config.ts';

await runService('admin', configShape, async (config, logger) => {
  // Redis only for the token check's session revocations: the admin service keeps nothing of its own.
  const infra = await openInfra({ service: 'admin', redis: true }, config, logger);
  const app = await buildApp({
    server: serverSettings(config, infra.metrics),
    logger,
    revocations: sessionRevocations(infra.redis, { logger }),
    jwks: config.JWKS_URL,
    internalToken: config.INTERNAL_TOKEN,
    upstreams: {
      analytics: config.ANALYTICS_SERVICE_URL,
      event: config.EVENT_SERVICE_URL,
      reservation: config.RESERVATION_SERVICE_URL,
      payment: config.PAYMENT_SERVICE_URL,
      user: config.USER_SERVICE_URL,
      queue: config.QUEUE_SERVICE_URL,
    },
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    retries: config.UPSTREAM_RETRIES,
    refundTimeoutMs: config.REFUND_TIMEOUT_MS,
  });
  return { app, infra };
});
