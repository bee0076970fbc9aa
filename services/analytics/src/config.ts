import { env, serviceConfigShape } from '@tiketi/kit';

export const configShape = {
  ...serviceConfigShape,
  PORT: env.port(4006),
  DATABASE_NAME: env.string('analytics_db'),
  EVENT_SERVICE_URL: env.serviceUrl('event'),
  /** Tracked events one visitor (user or session) may send per window. */
  TRACK_RATE_LIMIT: env.int(120),
  /**
   * Tracked events one client IP may send per window, whatever session ids it makes up (0: no IP limit).
   * The IP is the first X-Forwarded-For hop when a proxy sends one.
   */
  TRACK_IP_RATE_LIMIT: env.int(600),
  TRACK_RATE_WINDOW_MS: env.int(60_000),
  /** Raw tracked events are inserted together once this many are waiting, or after TRACK_FLUSH_MS. */
  TRACK_BATCH_SIZE: env.int(200),
  TRACK_FLUSH_MS: env.int(250),
  /** How long the live day counters stay in Redis; the query API reads them for today and yesterday. */
  COUNTER_TTL_SECONDS: env.int(3 * 86_400),
  /**
   * How often the service runs the rollup itself (0: never, when a CronJob runs `npm run rollup`). It
   * moves finished hours only, so running it more often than hourly just lands them sooner.
   */
  ROLLUP_INTERVAL_MS: env.int(900_000),
};
