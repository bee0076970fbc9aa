import type { EventData, ReservationStatus } from '@tiketi/contracts';
import { HttpProblem, type Logger, publishInTransaction, type Transaction } from '@tiketi/kit';
import type { ReservationRepository } from '../db/reservation.repository.ts';
import type { DB } from '../db/schema.ts';
import type { TicketRepository } from '../db/ticket.repository.ts';
import type { VoucherRepository } from '../db/voucher.repository.ts';
import type { WaitlistRepository } from '../db/waitlist.repository.ts';
import type { HoldRelease } from './hold-release.ts';
import { mergeSync, nothingToSync, type RedisSync } from './redis-sync.ts';
import type { ReservationLifecycle } from './reservation-lifecycle.ts';

const ACTIVE: ReservationStatus[] = ['PENDING', 'CONFIRMED'];

/**
 * What reservations do when other services' events arrive. Each runs inside the consumer's inbox
 * transaction and answers what Redis must hear once it commits.
 */
export function eventReactions(deps: {
  reservations: ReservationRepository;
  tickets: TicketRepository;
  vouchers: VoucherRepository;
  waitlist: Pick<WaitlistRepository, 'closeEvent'>;
  release: HoldRelease;
  lifecycle: Pick<ReservationLifecycle, 'confirmIn'>;
  logger: Logger;
}) {
  const { reservations, tickets, vouchers, waitlist, release, lifecycle, logger } = deps;
  /** Ends every hold still pending of an event or of a user, as one would be given back. */
  async function endPending(
    trx: Transaction<DB>,
    owner: Parameters<ReservationRepository['pendingOf']>[1],
    reason: EventData<'reservation.cancelled'>['reason'],
  ): Promise<RedisSync> {
    const all = nothingToSync();
    for (const r of await reservations.pendingOf(trx, owner)) {
      mergeSync(all, await release.endHold(trx, r, 'CANCELLED', reason));
    }
    return all;
  }

  return {
    /** `payment.completed`: the same rule as the internal confirm, for when that call did not get through. */
    async onPaymentCompleted(trx: Transaction<DB>, data: EventData<'payment.completed'>): Promise<RedisSync> {
      const r = await reservations.findById(data.reservationId, trx);
      if (!r) {
        logger.error({ reservationId: data.reservationId }, 'payment completed for an unknown reservation');
        return nothingToSync();
      }
      if (r.userId !== data.userId || r.amount !== data.amount) {
        logger.error(
          { reservationId: r.id, paymentId: data.paymentId },
          'payment completed does not match its reservation (user or amount); not confirming',
        );
        return nothingToSync();
      }
      try {
        return (await lifecycle.confirmIn(trx, data.reservationId, data.paymentId, data.orderId)).sync;
      } catch (error) {
        if (error instanceof HttpProblem && error.status === 409) {
          logger.warn({ reservationId: r.id, code: error.code }, 'payment completed but not confirmed');
          return nothingToSync();
        }
        throw error;
      }
    },

    /**
     * `payment.refunded`: a full refund voids every ticket and releases every seat (REFUNDED); a partial
     * one voids the tickets of the refunded seats and releases those seats only. Seats already given to
     * someone else are never touched (the release is scoped to this reservation).
     */
    async onPaymentRefunded(trx: Transaction<DB>, data: EventData<'payment.refunded'>): Promise<RedisSync> {
      const r = await reservations.findForUpdate(trx, data.reservationId);
      if (!r) return nothingToSync();
      const seatIds = data.full ? undefined : data.seatIds;
      await tickets.voidSeats(trx, r.id, seatIds);
      const released = await reservations.releaseSeats(trx, [r.id], seatIds);
      const remaining = await reservations.activeSeatIds(trx, r.id);
      if (ACTIVE.includes(r.status) && (data.full || remaining.length === 0)) {
        await vouchers.giveBackUses(trx, [r.id]);
        await reservations.setStatus(trx, [r.id], r.status === 'CONFIRMED' ? 'REFUNDED' : 'CANCELLED');
        const given = released.byReservation.get(r.id) ?? [];
        if (given.length) {
          await publishInTransaction(trx, 'reservation.cancelled', {
            reservationId: r.id,
            eventId: r.eventId,
            userId: r.userId,
            seatIds: given,
            reason: 'refund',
          });
        }
      }
      return release.offerReleased(trx, released, { reservationIds: [r.id], eventIds: [r.eventId] });
    },

    /**
     * `event.cancelled`: its waiting list ends, then holds in progress (offers made from the list
     * included); paid reservations are left to the payment service's refunds.
     */
    async onEventCancelled(trx: Transaction<DB>, eventId: string): Promise<RedisSync> {
      for (const entry of await waitlist.closeEvent(trx, eventId)) {
        await publishInTransaction(trx, 'waitlist.closed', { eventId, ...entry, reason: 'event_cancelled' });
      }
      return endPending(trx, { eventId }, 'event_cancelled');
    },

    /**
     * A deleted account: a hold it still had (made after the deletion checked for none) can never be paid,
     * since every token of the account ended, so its seats go back at once instead of at its expiry.
     */
    async onAccountDeleted(trx: Transaction<DB>, userId: string): Promise<RedisSync> {
      // A deleted door-staff account works no door any more.
      await trx.deleteFrom('staffAssignments').where('userId', '=', userId).execute();
      return endPending(trx, { userId }, 'user');
    },
  };
}

export type EventReactions = ReturnType<typeof eventReactions>;
