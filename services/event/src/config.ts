import { env, serviceConfigShape } from '@tiketi/kit';

export const configShape = {
  ...serviceConfigShape,
  PORT: env.port(4002),
  DATABASE_NAME: env.string('events_db'),
  SEED_DEMO: env.bool(false),
  /**
   * How long browsers and the gateway may reuse a public event listing or detail (Cache-Control max-age).
   * Changes and the on-sale switch show within this many seconds; 0 asks every read to reach the service.
   */
  PUBLIC_CACHE_SECONDS: env.int(2),
  /** Where uploaded images are looked up when they are attached to artists and events. */
  MEDIA_SERVICE_URL: env.serviceUrl('media'),
};
