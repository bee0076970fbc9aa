import type { EventData } from '@tiketi/contracts';
import { publishInTransaction, type Transaction } from '@tiketi/kit';
import type { Released, ReservationRepository } from '../db/reservation.repository.ts';
import type { DB, Reservation } from '../db/schema.ts';
import type { StandingRepository } from '../db/standing.repository.ts';
import type { VoucherRepository } from '../db/voucher.repository.ts';
import { type RedisSync, releasedSync } from './redis-sync.ts';
import type { WaitlistOffers } from './waitlist.service.ts';

/**
 * Giving seats back, shared by every way a hold or a sale ends (cancel, expiry, refund, event cancelled):
 * seats given back go to the event's waiting list first, in the transaction that gives them back.
 */
export function holdRelease(deps: {
  reservations: ReservationRepository;
  vouchers: VoucherRepository;
  offers: WaitlistOffers;
  standing: Pick<StandingRepository, 'areas'>;
}) {
  const { reservations, vouchers, offers, standing } = deps;

  /**
   * Announces a hold that ended unpaid, naming its seats and the event's standing areas so the fan's mail
   * can tell standing places from seats.
   */
  async function announceExpired(
    trx: Transaction<DB>,
    r: Pick<Reservation, 'id' | 'userId' | 'eventId'>,
    released: Released,
    waitlistOffer: boolean,
    /** The standing areas of events already read in this batch, by event: read once per event, not per hold. */
    areasOf = new Map<string, string[]>(),
  ) {
    const seatIds = released.byReservation.get(r.id) ?? [];
    if (seatIds.length === 0) return;
    let areas = areasOf.get(r.eventId);
    if (!areas) {
      areas = [...(await standing.areas(r.eventId, trx)).keys()];
      areasOf.set(r.eventId, areas);
    }
    await publishInTransaction(trx, 'reservation.expired', {
      reservationId: r.id,
      eventId: r.eventId,
      userId: r.userId,
      seatIds,
      waitlistOffer,
      seatLabels: released.labelsByReservation.get(r.id) ?? [],
      standingAreas: areas,
    });
  }

  /** What the released seats ask of Redis, with the waiting-list offers made from them in the same transaction. */
  async function offerReleased(
    trx: Transaction<DB>,
    released: Released,
    ended: { reservationIds: string[]; eventIds: string[] },
  ): Promise<RedisSync> {
    const sync = releasedSync(released);
    sync.seats.push(...(await offers.afterRelease(trx, ended)));
    return sync;
  }

  return {
    offerReleased,
    announceExpired,

    /** Releases a PENDING reservation's seats and gives it its final status, in the caller's transaction. */
    async endHold(
      trx: Transaction<DB>,
      r: Pick<Reservation, 'id' | 'userId' | 'eventId'>,
      status: 'CANCELLED' | 'EXPIRED',
      reason: EventData<'reservation.cancelled'>['reason'],
    ): Promise<RedisSync> {
      const released = await reservations.releaseSeats(trx, [r.id]);
      await vouchers.giveBackUses(trx, [r.id]);
      await reservations.setStatus(trx, [r.id], status);
      const seatIds = released.byReservation.get(r.id) ?? [];
      if (status === 'EXPIRED') await announceExpired(trx, r, released, false);
      else if (seatIds.length) {
        await publishInTransaction(trx, 'reservation.cancelled', {
          reservationId: r.id,
          eventId: r.eventId,
          userId: r.userId,
          seatIds,
          reason,
        });
      }
      return offerReleased(trx, released, { reservationIds: [r.id], eventIds: [r.eventId] });
    },
  };
}

export type HoldRelease = ReturnType<typeof holdRelease>;
