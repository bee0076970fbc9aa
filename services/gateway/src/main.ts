import { openInfra, runService, serverSettings, sessionRevocations } from '@tiketi/kit';
import { buildApp } from './app.ts';
import { configShape } from './config.ts';

await runService('gateway', configShape, async (config, logger) => {
  const infra = await openInfra({ service: 'gateway', redis: true }, config, logger);
  const app = await buildApp({
    logger,
    jwks: config.JWKS_URL,
    redis: infra.redis,
    revocations: sessionRevocations(infra.redis, { logger }),
    attestationKey: config.TOKEN_ATTESTATION_KEY,
    readiness: infra.readiness,
    upstreamTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
    webOrigins: config.WEB_ORIGIN.split(',').map((origin) => origin.trim()),
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    uploadBodyLimitBytes: config.UPLOAD_BODY_LIMIT_BYTES,
    http: serverSettings(config).http,
    opsPort: config.OPS_PORT,
    responseCache: {
      maxEntries: config.RESPONSE_CACHE_ENTRIES,
      maxBytes: config.RESPONSE_CACHE_MAX_BYTES,
      maxBodyBytes: config.RESPONSE_CACHE_MAX_BODY_BYTES,
    },
    rateLimits: {
      windowMs: config.RATE_LIMIT_WINDOW_MS,
      auth: config.RATE_LIMIT_AUTH,
      password: config.RATE_LIMIT_PASSWORD,
      queueJoin: config.RATE_LIMIT_QUEUE_JOIN,
      challenge: config.RATE_LIMIT_CHALLENGE,
      general: config.RATE_LIMIT_GENERAL,
    },
    upstreams: {
      user: config.USER_SERVICE_URL,
      event: config.EVENT_SERVICE_URL,
      reservation: config.RESERVATION_SERVICE_URL,
      payment: config.PAYMENT_SERVICE_URL,
      queue: config.QUEUE_SERVICE_URL,
      analytics: config.ANALYTICS_SERVICE_URL,
      admin: config.ADMIN_SERVICE_URL,
      media: config.MEDIA_SERVICE_URL,
      notification: config.NOTIFICATION_SERVICE_URL,
    },
  });
  return { app, infra };
});
