import { runService } from '@tiketi/kit';
import { buildApp } from './app.ts';
import { configShape } from './config.ts';

await runService('gateway', configShape, async (config, logger) => {
  const app = await buildApp({
    logger,
    upstreamTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
    upstreams: {
      user: config.USER_SERVICE_URL,
      event: config.EVENT_SERVICE_URL,
      reservation: config.RESERVATION_SERVICE_URL,
      payment: config.PAYMENT_SERVICE_URL,
      queue: config.QUEUE_SERVICE_URL,
      analytics: config.ANALYTICS_SERVICE_URL,
      admin: config.ADMIN_SERVICE_URL,
      media: config.MEDIA_SERVICE_URL,
    },
  });
  return { app, stop: async () => undefined };
});
