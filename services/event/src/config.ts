import { baseConfigShape, env } from '@tiketi/kit';

export const configShape = {
  ...baseConfigShape,
  PORT: env.port(4002),
  DATABASE_NAME: env.string('events_db'),
  SEED_DEMO: env.bool(false),
  /** Where uploaded images are looked up when they are attached to artists and events. */
  MEDIA_SERVICE_URL: env.serviceUrl('media'),
};
