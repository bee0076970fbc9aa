import {
  type Auth,
  createAuth,
  createServiceServer,
  type Kysely,
  type Redis,
  type ServiceDeps,
} from '@tiketi/kit';
import type { MediaResolver } from './clients/media.client.ts';
import { artistRepository } from './db/artist.repository.ts';
import { catalogueCache } from './db/catalogue.cache.ts';
import { eventRepository } from './db/event.repository.ts';
import type { DB } from './db/schema.ts';
import { venueRepository } from './db/venue.repository.ts';
import { artistsService } from './domain/artists.service.ts';
import { eventsService } from './domain/events.service.ts';
import { venuesService } from './domain/venues.service.ts';
import { artistRoutes } from './routes/artists.routes.ts';
import { eventRoutes } from './routes/events.routes.ts';
import { venueRoutes } from './routes/venues.routes.ts';

export type EventDeps = ServiceDeps & {
  db: Kysely<DB>;
  /** Caches hot reads; without it every read goes to PostgreSQL. */
  redis?: Redis;
  /** Verifies callers; without it nobody is an admin and the service is read-only. */
  auth?: Auth;
  /** Resolves uploaded images to attach; without it attaching answers 503. */
  media?: MediaResolver;
  now?: () => Date;
  /** Max-age of public listings and details; 0 (the default) keeps them from being cached downstream. */
  publicCacheSeconds?: number;
};

/** Builds the event service from its dependencies; opens nothing itself. */
export async function buildApp(deps: EventDeps) {
  const { app } = await createServiceServer('event', deps, { outbox: deps.db });
  const auth = deps.auth ?? createAuth({ jwks: { keys: [] } });
  const cache = catalogueCache(deps.redis, deps.logger);
  const now = deps.now ?? (() => new Date());
  const venues = venueRepository(deps.db);
  artistRoutes(app, auth, artistsService({ artists: artistRepository(deps.db), cache, media: deps.media }));
  venueRoutes(app, auth, venuesService({ venues, cache }));
  eventRoutes(
    app,
    auth,
    eventsService({ db: deps.db, events: eventRepository(deps.db), venues, cache, media: deps.media, now }),
    deps.publicCacheSeconds ?? 0,
  );
  return app;
}
