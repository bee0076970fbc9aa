import type { AnyEnvelope, Bus, Kysely, Transaction } from '@tiketi/kit';
import type { SeatCache } from '../cache/seat-cache.ts';
import type { EventRepository } from '../db/event.repository.ts';
import type { DB } from '../db/schema.ts';
import { type Aftermath, type AftermathRunner, noAftermath } from '../domain/effects.ts';
import type { ReservationService } from '../domain/reservation.service.ts';
import type { SaleInfoSource } from '../domain/sale-info.ts';

const CATALOGUE_EVENTS = ['event.published', 'event.updated', 'event.cancelled'] as const;
const PAYMENT_EVENTS = ['payment.completed', 'payment.refunded'] as const;

type CatalogueEvent = AnyEnvelope<(typeof CATALOGUE_EVENTS)[number]>;
type PaymentEvent = AnyEnvelope<(typeof PAYMENT_EVENTS)[number]>;
type CatalogueOutcome = { eventId: string; layoutChanged: boolean; aftermath: Aftermath };

export type ConsumerDeps = {
  db: Kysely<DB>;
  events: EventRepository;
  reservations: ReservationService;
  cache: SeatCache;
  sales: SaleInfoSource;
  settle: AftermathRunner;
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
          return { eventId: event.data.eventId, layoutChanged: true, aftermath: noAftermath() };
        case 'event.updated':
          await deps.events.applyUpdated(trx, event.data, at);
          return { eventId: event.data.eventId, layoutChanged: false, aftermath: noAftermath() };
        case 'event.cancelled': {
          await deps.events.markCancelled(trx, event.data.eventId, at);
          const aftermath = await deps.reservations.onEventCancelled(trx, event.data.eventId);
          return { eventId: event.data.eventId, layoutChanged: false, aftermath };
        }
      }
    },

    async afterCatalogue(outcome: CatalogueOutcome) {
      deps.sales.forget(outcome.eventId);
      if (outcome.layoutChanged) await deps.cache.invalidate(outcome.eventId);
      await deps.settle(outcome.aftermath);
    },

    async payment(event: PaymentEvent, trx: Transaction<DB>): Promise<Aftermath> {
      if (event.type === 'payment.completed') return deps.reservations.onPaymentCompleted(trx, event.data);
      return deps.reservations.onPaymentRefunded(trx, event.data);
    },

    afterPayment(aftermath: Aftermath) {
      return deps.settle(aftermath);
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
    afterCommit: (_event, aftermath) => handlers.afterPayment(aftermath),
  });
}
