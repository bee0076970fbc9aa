import { baseConfigShape, env } from '@tiketi/kit';

const { serviceUrl } = env;

export const configShape = {
  ...baseConfigShape,
  PORT: env.port(3001),
  WEB_ORIGIN: env.string('http://localhost:3000'),
  USER_SERVICE_URL: serviceUrl('user'),
  EVENT_SERVICE_URL: serviceUrl('event'),
  RESERVATION_SERVICE_URL: serviceUrl('reservation'),
  PAYMENT_SERVICE_URL: serviceUrl('payment'),
  QUEUE_SERVICE_URL: serviceUrl('queue'),
  ANALYTICS_SERVICE_URL: serviceUrl('analytics'),
  ADMIN_SERVICE_URL: serviceUrl('admin'),
  MEDIA_SERVICE_URL: serviceUrl('media'),
  UPSTREAM_TIMEOUT_MS: env.int(10_000),
};
