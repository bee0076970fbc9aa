import { runService, serverSettings } from '@tiketi/kit';
import { buildApp } from './app.ts';
import { configShape } from './config.ts';

await runService('admin', configShape, async (config, logger) => {
  const app = await buildApp({
    server: serverSettings(config),
    logger,
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
  return { app, stop: async () => undefined };
});
