import { createServer, type Kysely, type Logger, type ReadinessCheck } from '@tiketi/kit';
import { eventRepository } from './db/event.repository.ts';
import type { DB } from './db/schema.ts';
import { eventRoutes } from './routes/events.routes.ts';

export type EventDeps = { db: Kysely<DB>; logger: Logger; readiness: Record<string, ReadinessCheck> };

/** Builds the event service from its dependencies; opens nothing itself. */
export async function buildApp(deps: EventDeps) {
  const { app } = await createServer({ name: 'event', logger: deps.logger, readiness: deps.readiness });
  eventRoutes(app, eventRepository(deps.db));
  return app;
}
