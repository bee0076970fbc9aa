import { createAuth, sql } from '@tiketi/kit';
import { createTestTokens, openTestInfra, testConfig, testLogger } from '@tiketi/kit/testing';
import { v7 as uuidv7 } from 'uuid';
import { buildApp, type EventDeps } from '../src/app.ts';
import { artistRepository } from '../src/db/artist.repository.ts';
import { catalogueCache } from '../src/db/catalogue.cache.ts';
import { eventRepository } from '../src/db/event.repository.ts';
import type { DB } from '../src/db/schema.ts';
import { startConsumers } from '../src/events/consumers.ts';

const migrations = new URL('../migrations', import.meta.url).pathname;

/** The event service on its own database and Redis prefix, with admin and user tokens. */
export async function openEventService(label: string, extra: Partial<EventDeps> = {}) {
  const config = testConfig(label);
  const infra = await openTestInfra<
    { service: 'event'; database: { name: string; migrations: string }; redis: true },
    DB
  >({ service: 'event', database: { name: 'unused', migrations }, redis: true }, config);
  const tokens = await createTestTokens();
  const app = await buildApp({
    db: infra.db,
    logger: testLogger(),
    readiness: infra.readiness,
    redis: infra.redis,
    auth: createAuth({ jwks: tokens.jwks }),
    ...extra,
  });
  const admin = `Bearer ${await tokens.sign({ id: uuidv7(), role: 'admin' })}`;
  const user = `Bearer ${await tokens.sign({ id: uuidv7(), role: 'user' })}`;
  return {
    app,
    infra,
    db: infra.db,
    admin,
    user,
    async outbox(type: string) {
      const { rows } = await sql<{
        envelope: { data: Record<string, unknown> };
      }>`select envelope from outbox where type = ${type} order by created_at`.execute(infra.db);
      return rows.map((r) => r.envelope.data);
    },
    async close() {
      await app.close();
      await infra.cleanup();
    },
  };
}

export type EventService = Awaited<ReturnType<typeof openEventService>>;

/** The catalogue's consumers over `svc`'s database and cache, on the exchange of `config`. */
export async function startCatalogueConsumers(svc: EventService, config: ReturnType<typeof testConfig>) {
  const consumers = await openTestInfra({ service: 'event', bus: true }, config);
  await startConsumers({
    bus: consumers.bus,
    db: svc.db,
    artists: artistRepository(svc.db),
    events: eventRepository(svc.db),
    cache: catalogueCache(svc.infra.redis, testLogger()),
    logger: testLogger(),
  });
  await consumers.bus.waitForConnect();
  return consumers;
}

const DAY = 86_400_000;
export const daysFromNow = (days: number) => new Date(Date.now() + days * DAY).toISOString();

/** Creates what an event needs through the admin API; answers the ids. */
export async function createArtistAndVenue(svc: EventService, name = 'Test Artist', rows = 2) {
  const artist = await svc.app.inject({
    method: 'POST',
    url: '/api/artists',
    headers: { authorization: svc.admin },
    payload: { name, genre: 'K-pop' },
  });
  const venue = await svc.app.inject({
    method: 'POST',
    url: '/api/venues',
    headers: { authorization: svc.admin },
    payload: {
      name: `${name} Hall`,
      city: 'Seoul',
      sections: [
        {
          name: 'A',
          rows: Array.from({ length: rows }, (_, r) => ({
            label: String(r + 1),
            seatCount: 5,
            tierKey: 'R',
          })),
        },
      ],
    },
  });
  return { artistId: artist.json().id as string, venueId: venue.json().id as string };
}

export function eventPayload(
  ids: { artistId: string; venueId: string },
  overrides: Record<string, unknown> = {},
) {
  return {
    ...ids,
    title: 'Test Concert',
    startsAt: daysFromNow(30),
    saleOpensAt: daysFromNow(-1),
    saleClosesAt: daysFromNow(29),
    perUserLimit: 4,
    priceTiers: [{ key: 'R', name: 'R seat', price: 99_000 }],
    ...overrides,
  };
}
