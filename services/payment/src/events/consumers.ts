import type { AnyEnvelope, Bus, Kysely, Transaction } from '@tiketi/kit';
import type { EventScheduleRepository } from '../db/event-schedule.repository.ts';
import type { DB } from '../db/schema.ts';

const SCHEDULE_EVENTS = ['event.published', 'event.updated', 'event.cancelled'] as const;
type ScheduleEvent = AnyEnvelope<(typeof SCHEDULE_EVENTS)[number]>;

/**
 * Keeps when each event starts (the customer's cancellation deadline), its standing areas (named in refunds)
 * and whether it was cancelled (its paid payments are then refunded) from the event service's events.
 */
export function scheduleHandler(schedule: EventScheduleRepository) {
  return async (event: ScheduleEvent, trx: Transaction<DB>) => {
    if (event.type === 'event.published') {
      const { eventId, title, startsAt, standingAreas } = event.data;
      await schedule.upsert(trx, {
        eventId,
        title,
        startsAt: new Date(startsAt),
        sourceAt: new Date(event.occurredAt),
      });
      // Only event.published names them: a refund's mail tells standing places from seats by them.
      await schedule.setStandingAreas(
        trx,
        eventId,
        standingAreas.map((area) => area.section),
      );
    } else if (event.type === 'event.updated') {
      // A rescheduled concert moves the customer's cancellation deadline with it.
      const { eventId, title, startsAt } = event.data;
      if (title !== undefined && startsAt !== undefined) {
        await schedule.upsert(trx, {
          eventId,
          title,
          startsAt: new Date(startsAt),
          sourceAt: new Date(event.occurredAt),
        });
      }
    } else {
      const { eventId, reason } = event.data;
      await schedule.markCancelled(trx, eventId, new Date(event.occurredAt), reason);
    }
  };
}

/**
 * A deleted account: its payments stay for the books under the bare user id, without the name, address and
 * phone number the customer gave Toss. None can be under way (the account had no hold left).
 */
export async function forgetCustomer(event: AnyEnvelope<'user.deleted'>, trx: Transaction<DB>) {
  await trx
    .updateTable('payments')
    .set({ customerName: '', customerEmail: '', customerPhone: null, updatedAt: new Date() })
    .where('userId', '=', event.data.userId)
    .execute();
}

export async function startConsumers(
  bus: Bus,
  db: Kysely<DB>,
  schedule: EventScheduleRepository,
  /** Called once a cancellation is committed: the refunds start without waiting for a timer. */
  onCancelled: () => void,
) {
  await bus.consume({
    name: 'schedule',
    events: SCHEDULE_EVENTS,
    db,
    handler: scheduleHandler(schedule),
    afterCommit: async (event) => {
      if (event.type === 'event.cancelled') onCancelled();
    },
  });
  await bus.consume({ name: 'accounts', events: ['user.deleted'] as const, db, handler: forgetCustomer });
}
