import { env, internalTokenShape, serviceConfigShape } from '@tiketi/kit';
import type { z } from 'zod';

export const configShape = {
  ...serviceConfigShape,
  ...internalTokenShape,
  PORT: env.port(4007),
  ANALYTICS_SERVICE_URL: env.serviceUrl('analytics'),
  EVENT_SERVICE_URL: env.serviceUrl('event'),
  RESERVATION_SERVICE_URL: env.serviceUrl('reservation'),
  PAYMENT_SERVICE_URL: env.serviceUrl('payment'),
  USER_SERVICE_URL: env.serviceUrl('user'),
  QUEUE_SERVICE_URL: env.serviceUrl('queue'),
  /** Longest wait for one upstream read; a composed answer marks an upstream that takes longer. */
  UPSTREAM_TIMEOUT_MS: env.int(2000),
  /** Extra attempts of an upstream read after a network error or a 502/503/504. */
  UPSTREAM_RETRIES: env.int(1),
  /** A refund waits for Toss through the payment service, so it gets longer than a read. */
  REFUND_TIMEOUT_MS: env.int(15_000),
};

export type AdminConfig = z.output<z.ZodObject<typeof configShape>>;
