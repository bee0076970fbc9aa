import type { AnyEnvelope, Bus, Kysely, Transaction } from '@tiketi/kit';
import type { SeatCache } from '../cache/seat-cache.ts';
import type { EventRepository } from '../db/event.repository.ts';
import type { DB } from '../db/schema.ts';
import type { WaitlistRepository } from '../db/waitlist.repository.ts';
import type { EventReactions } from '../domain/event-reactions.ts';
import { nothingToSync, type RedisSync, type SyncRedis } from '../domain/redis-sync.ts';
import type { SaleInfoSource } from '../domain/sale-info.ts';

const CATALOGUE_EVENTS = ['event.published', 'event.updated', 'event.cancelled'] as const;
const PAYMENT_EVENTS = ['payment.completed', 'payment.refunded'] as const;

type CatalogueEvent = AnyEnvelope<(typeof CATALOGUE_EVENTS)[number]>;
type PaymentEvent = AnyEnvelope<(typeof PAYMENT_EVENTS)[number]>;
type CatalogueOutcome = { eventId: string; layoutChanged: boolean; sync: RedisSync };

export type ConsumerDeps = {
  db: Kysely<DB>;
  waitlist: Pick<WaitlistRepository, 'leaveAll'>;
  events: EventRepository;
  reactions: EventReactions;
  cache: SeatCache;
  sales: SaleInfoSource;
  syncRedis: SyncRedis;
};

/**
 * What the service does with other services' events, as plain functions (each runs inside the inbox
 * transaction) plus what must follow once that transaction committed.
 */
export function eventHandlers(deps: ConsumerDeps) {
  return {
    /** Inventory and sale settings come from the event service's events. */
    async catalogue(event: CatalogueEvent, trx: Transaction<DB>): Promise<CatalogueOutcome> {
      const at = new Date(event.occurredAt);
      switch (event.type) {
        case 'event.published':
          await deps.events.applyPublished(trx, event.data, at);
          return { eventId: event.data.eventId, layoutChanged: true, sync: nothingToSync() };
        case 'event.updated':
          await deps.events.applyUpdated(trx, event.data, at);
          return { eventId: event.data.eventId, layoutChanged: false, sync: nothingToSync() };
        case 'event.cancelled': {
          await deps.events.markCancelled(trx, event.data.eventId, at);
          const sync = await deps.reactions.onEventCancelled(trx, event.data.eventId);
          return { eventId: event.data.eventId, layoutChanged: false, sync };
        }
      }
    },

    async afterCatalogue(outcome: CatalogueOutcome) {
      deps.sales.forget(outcome.eventId);
      if (outcome.layoutChanged) await deps.cache.invalidate(outcome.eventId);
      await deps.syncRedis(outcome.sync);
    },

    async payment(event: PaymentEvent, trx: Transaction<DB>): Promise<RedisSync> {
      if (event.type === 'payment.completed') return deps.reactions.onPaymentCompleted(trx, event.data);
      return deps.reactions.onPaymentRefunded(trx, event.data);
    },

    afterPayment(sync: RedisSync) {
      return deps.syncRedis(sync);
    },

    /**
     * A deleted account: it waits on no list any more, and holds nothing. Its orders and tickets stay for
     * the books.
     */
    async account(event: AnyEnvelope<'user.deleted'>, trx: Transaction<DB>): Promise<RedisSync> {
      await deps.waitlist.leaveAll(trx, event.data.userId);
      return deps.reactions.onAccountDeleted(trx, event.data.userId);
    },

    afterAccount(sync: RedisSync) {
      return deps.syncRedis(sync);
    },
  };
}

export type EventHandlers = ReturnType<typeof eventHandlers>;

export async function startConsumers(bus: Bus, deps: ConsumerDeps, handlers = eventHandlers(deps)) {
  await bus.consume({
    name: 'catalogue',
    events: CATALOGUE_EVENTS,
    db: deps.db,
    handler: handlers.catalogue,
    afterCommit: (_event, outcome) => handlers.afterCatalogue(outcome),
  });
  await bus.consume({
    name: 'payments',
    events: PAYMENT_EVENTS,
    db: deps.db,
    handler: handlers.payment,
    afterCommit: (_event, sync) => handlers.afterPayment(sync),
  });
  await bus.consume({
    name: 'accounts',
    events: ['user.deleted'] as const,
    db: deps.db,
    handler: handlers.account,
    afterCommit: (_event, sync) => handlers.afterAccount(sync),
  });
}
