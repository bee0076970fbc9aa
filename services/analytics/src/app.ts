import {
  type AuthOptions,
  createAuth,
  createHttpClient,
  createServiceServer,
  type Kysely,
  type Redis,
  type ServiceDeps,
} from '@tiketi/kit';
import { counterStore } from './db/counter.store.ts';
import { eventProjectionRepository } from './db/event-projection.repository.ts';
import { rawEventRepository } from './db/raw-event.repository.ts';
import type { DB } from './db/schema.ts';
import { statsRepository } from './db/stats.repository.ts';
import { eventDirectory } from './domain/event-directory.ts';
import { type Clock, systemClock } from './domain/kst.ts';
import { RawEventBuffer } from './domain/raw-event-buffer.ts';
import { rollupJob } from './domain/rollup.ts';
import { statsService } from './domain/stats.ts';
import { trackingService } from './domain/tracking.ts';
import { statsRoutes } from './routes/stats.routes.ts';
import { trackRoutes } from './routes/track.routes.ts';

export type AnalyticsSettings = {
  eventServiceUrl: string;
  rateLimit: { perVisitor: number; perIp: number; windowMs: number };
  batch: { size: number; flushMs: number };
  counterTtlSeconds: number;
};

export type AnalyticsDeps = ServiceDeps & {
  db: Kysely<DB>;
  redis: Redis;
  jwks: AuthOptions['jwks'];
  /** Sessions ended before their tokens expire (the service's Redis); main.ts always passes it. */
  revocations?: AuthOptions['revocations'];
  settings: AnalyticsSettings;
  /** Injected in tests to put "now" on either side of a Seoul midnight. */
  clock?: Clock;
};

export const defaultSettings: AnalyticsSettings = {
  eventServiceUrl: 'http://127.0.0.1:4002',
  rateLimit: { perVisitor: 120, perIp: 600, windowMs: 60_000 },
  batch: { size: 200, flushMs: 250 },
  counterTtlSeconds: 3 * 86_400,
};

/** Builds the analytics service from its dependencies; opens nothing itself. */
export async function buildApp(deps: AnalyticsDeps) {
  const clock = deps.clock ?? systemClock;
  const { app } = await createServiceServer('analytics', deps);
  const auth = createAuth({ jwks: deps.jwks, revocations: deps.revocations });
  const counters = counterStore(deps.redis, { counterTtlSeconds: deps.settings.counterTtlSeconds });
  const projection = eventProjectionRepository(deps.db);
  const stats = statsRepository(deps.db);
  const buffer = new RawEventBuffer({
    repository: rawEventRepository(deps.db),
    logger: deps.logger,
    flushMs: deps.settings.batch.flushMs,
    maxBatch: deps.settings.batch.size,
    maxPending: deps.settings.batch.size * 50,
  });
  const directory = eventDirectory({
    projection,
    events: createHttpClient({ baseUrl: deps.settings.eventServiceUrl, name: 'event service', retries: 0 }),
    logger: deps.logger,
    now: clock,
  });
  const tracking = trackingService({
    counters,
    directory,
    buffer,
    clock,
    rateLimit: deps.settings.rateLimit,
  });
  trackRoutes(app, auth, tracking);
  statsRoutes(app, auth, statsService({ counters, stats, projection, clock }));
  const rollup = rollupJob({ db: deps.db, counters, stats, clock, logger: deps.logger });
  return { app, counters, buffer, rollup };
}
