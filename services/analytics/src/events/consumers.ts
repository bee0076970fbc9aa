import type { Bus, Kysely } from '@tiketi/kit';
import type { CounterStore } from '../db/counter.store.ts';
import { eventProjectionRepository } from '../db/event-projection.repository.ts';
import { rawEventRepository } from '../db/raw-event.repository.ts';
import type { DB } from '../db/schema.ts';
import { countedEventTypes, countingFor } from '../domain/service-events.ts';

/**
 * Analytics listens to the sale (reservations, payments) and to event publication (for its projection).
 * Both consumers go through the kit's inbox, so an event's database effect happens once.
 */
export async function startConsumers(deps: { bus: Bus; db: Kysely<DB>; counters: CounterStore }) {
  const raw = rawEventRepository(deps.db);
  const projection = eventProjectionRepository(deps.db);

  // A drop announces hundreds of holds a second: the events that arrived together are counted in one
  // transaction (one multi-row insert) and their Redis scripts sent without waiting on each other.
  await deps.bus.consumeBatch({
    name: 'counters',
    events: countedEventTypes,
    db: deps.db,
    handler: async (envelopes, trx) => {
      const countings = envelopes.map(countingFor);
      await raw.insertMany(
        countings.map((c) => c.raw),
        trx,
      );
      // Inside the inbox transaction and before its commit: the Redis script counts each envelope id
      // once, so a commit that fails after this line (and the redelivery it causes) cannot count twice.
      await Promise.all(
        countings.map((counting, i) =>
          deps.counters.record({
            id: envelopes[i]?.id,
            at: counting.at,
            increments: counting.increments,
            activeEventId: counting.eventId,
          }),
        ),
      );
    },
  });

  await deps.bus.consume({
    name: 'event-projection',
    events: ['event.published', 'event.updated'] as const,
    db: deps.db,
    handler: async (envelope, trx) => {
      const d = envelope.data;
      const published = envelope.type === 'event.published' ? envelope.data : undefined;
      await projection.upsert(
        {
          eventId: d.eventId,
          artistId: published?.artistId ?? null,
          title: published?.title ?? null,
          status: d.status,
          saleOpensAt: new Date(d.saleOpensAt),
          saleClosesAt: new Date(d.saleClosesAt),
          sourceTime: new Date(envelope.occurredAt),
        },
        trx,
      );
    },
  });
}
