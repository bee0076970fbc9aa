import { baseConfigShape, CACHE_LIMITS, env, tokenAttestationShape } from '@tiketi/kit';
import { z } from 'zod';

const { serviceUrl } = env;

/** One URL, or every instance of a service comma-separated: the gateway spreads requests over them. */
const instanceUrls = (name: Parameters<typeof serviceUrl>[0]) =>
  z.preprocess(
    (value) => (typeof value === 'string' ? value.split(',').map((url) => url.trim()) : value),
    z
      .array(z.url())
      .min(1)
      .default([String(serviceUrl(name).parse(undefined))]),
  );

export const configShape = {
  ...baseConfigShape,
  ...tokenAttestationShape,
  PORT: env.port(3001),
  /** The edge logs each request line once, for the whole platform. */
  REQUEST_LOG_LEVEL: z.enum(['info', 'debug']).default('info'),
  /** Origins allowed to call the API from a browser, comma-separated. */
  WEB_ORIGIN: env.string('http://localhost:3000'),
  USER_SERVICE_URL: serviceUrl('user'),
  EVENT_SERVICE_URL: serviceUrl('event'),
  RESERVATION_SERVICE_URL: serviceUrl('reservation'),
  PAYMENT_SERVICE_URL: serviceUrl('payment'),
  /** The waiting room runs as several instances sharing Redis: list them all (`http://a,http://b`). */
  QUEUE_SERVICE_URL: instanceUrls('queue'),
  ANALYTICS_SERVICE_URL: serviceUrl('analytics'),
  ADMIN_SERVICE_URL: serviceUrl('admin'),
  MEDIA_SERVICE_URL: serviceUrl('media'),
  NOTIFICATION_SERVICE_URL: serviceUrl('notification'),
  UPSTREAM_TIMEOUT_MS: env.int(10_000),
  /** Image uploads (`/api/media`) may be larger than BODY_LIMIT_BYTES, which bounds everything else. */
  UPLOAD_BODY_LIMIT_BYTES: env.int(10_485_760),
  /**
   * The load balancers or ingress controllers in front, whose X-Forwarded-For is believed (addresses or
   * CIDRs). Empty, the default: the peer is the client, as it must be when the gateway itself is exposed.
   */
  TRUSTED_PROXIES: env.addressList(''),
  /** Health, readiness, metrics and the OpenAPI document answer here only, never on the public PORT. */
  OPS_PORT: env.port(3091),
  /**
   * Shareable GET answers (`Cache-Control: public`, such as event listings and details) kept in memory for
   * their max-age; 0 turns the copies off. Bodies over RESPONSE_CACHE_MAX_BODY_BYTES are never kept, and
   * all copies together stay within RESPONSE_CACHE_MAX_BYTES.
   */
  RESPONSE_CACHE_ENTRIES: env.int(CACHE_LIMITS.gatewayResponses.max),
  RESPONSE_CACHE_MAX_BYTES: env.int(CACHE_LIMITS.gatewayResponses.maxBytes),
  RESPONSE_CACHE_MAX_BODY_BYTES: env.int(262_144),
  RATE_LIMIT_WINDOW_MS: env.int(60_000),
  RATE_LIMIT_AUTH: env.int(60),
  RATE_LIMIT_PASSWORD: env.int(10),
  RATE_LIMIT_QUEUE_JOIN: env.int(30),
  RATE_LIMIT_CHALLENGE: env.int(60),
  RATE_LIMIT_GENERAL: env.int(600),
};
