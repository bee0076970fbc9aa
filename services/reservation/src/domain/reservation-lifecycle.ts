import {
  type AuthUser,
  isUniqueViolation,
  type Kysely,
  problems,
  publishInTransaction,
  type Transaction,
} from '@tiketi/kit';
import { v7 as uuidv7 } from 'uuid';
import type { ReservationRepository } from '../db/reservation.repository.ts';
import type { DB } from '../db/schema.ts';
import type { StandingRepository } from '../db/standing.repository.ts';
import type { TicketRepository } from '../db/ticket.repository.ts';
import type { HoldRelease } from './hold-release.ts';
import { nothingToSync, type RedisSync, type SyncRedis } from './redis-sync.ts';
import { readableReservation } from './reservation-queries.ts';
import { newTicketCode } from './ticket-code.ts';
import { signTicketQr } from './ticket-qr.ts';
import type { WaitlistOffers } from './waitlist.service.ts';

export type IssuedTicket = { id: string; seatId: string; seatLabel: string };

/** A hold after it was made: given back by its owner, kept alive while it is paid, confirmed once paid. */
export function reservationLifecycle(deps: {
  db: Kysely<DB>;
  reservations: ReservationRepository;
  tickets: TicketRepository;
  standing: StandingRepository;
  offers: WaitlistOffers;
  release: HoldRelease;
  syncRedis: SyncRedis;
  rules: { holdMaxSeconds: number; ticketSigningSecret: string };
}) {
  const { db, reservations, tickets, standing, offers, release, syncRedis, rules } = deps;

  /** The confirmation rule shared by the internal call and the `payment.completed` consumer. */
  async function confirmIn(
    trx: Transaction<DB>,
    reservationId: string,
    paymentId: string,
    orderId?: string,
  ): Promise<{ tickets: IssuedTicket[]; sync: RedisSync }> {
    const r = await reservations.findForUpdate(trx, reservationId);
    if (!r) throw problems.notFound('The reservation');
    if (r.status === 'CONFIRMED') {
      if (r.paymentId !== paymentId) {
        throw problems.conflict('ALREADY_CONFIRMED', 'This reservation was confirmed by another payment.');
      }
      const issued = await tickets.ofReservation(r.id, trx);
      return { tickets: issued.map(ticketRef), sync: nothingToSync() };
    }
    if (r.status !== 'PENDING') {
      throw problems.conflict('HOLD_RELEASED', `The hold was released (${r.status}); refund the payment.`);
    }
    const sold = await reservations.sellSeats(trx, r.id);
    if (sold.length === 0) {
      throw problems.conflict('HOLD_RELEASED', 'The hold no longer has its seats; refund the payment.');
    }
    await reservations.markConfirmed(trx, r.id, paymentId);
    await offers.markClaimed(trx, r.id);
    const seats = (await reservations.seatsOf([r.id], trx)).filter((s) => s.active);
    const entries = await standing.entryNumbers(trx, r.eventId, seats);
    const issued = seats.map((s) => {
      const id = uuidv7();
      return {
        id,
        reservationId: r.id,
        eventId: r.eventId,
        userId: r.userId,
        seatId: s.seatId,
        seatLabel: s.label,
        ...entries.get(s.seatId),
        qr: signTicketQr(rules.ticketSigningSecret, { ticketId: id, eventId: r.eventId }),
      };
    });
    await tickets.insertMany(trx, issued, newTicketCode);
    const seatIds = seats.map((s) => s.seatId);
    await publishInTransaction(trx, 'reservation.confirmed', {
      reservationId: r.id,
      eventId: r.eventId,
      userId: r.userId,
      seatIds,
      amount: r.amount,
      paymentId,
    });
    await publishInTransaction(trx, 'ticket.issued', {
      reservationId: r.id,
      eventId: r.eventId,
      userId: r.userId,
      tickets: issued.map((t) => ({ ticketId: t.id, seatId: t.seatId, seatLabel: t.seatLabel })),
      amount: r.amount,
      ...(orderId ? { orderId } : {}),
    });
    return { tickets: issued.map(ticketRef), sync: { seats: sold, unlock: new Map() } };
  }

  return {
    confirmIn,

    /** The owner (or an admin) gives a PENDING hold back; cancelling twice answers the same. */
    async cancel(caller: AuthUser, id: string): Promise<void> {
      await readableReservation(reservations, caller, id);
      const sync = await db.transaction().execute(async (trx) => {
        const r = await reservations.findForUpdate(trx, id);
        if (!r) throw problems.notFound('The reservation');
        if (r.status === 'CANCELLED') return nothingToSync();
        if (r.status !== 'PENDING') {
          throw problems.conflict(
            'RESERVATION_NOT_PENDING',
            `Only a held reservation can be cancelled; this one is ${r.status}.`,
          );
        }
        const reason = caller.id === r.userId ? 'user' : 'admin';
        return release.endHold(trx, r, 'CANCELLED', reason);
      });
      await syncRedis(sync);
    },

    /** Gives a PENDING hold back in the caller's transaction (a fan leaving the waiting list with an offer). */
    async cancelIn(trx: Transaction<DB>, id: string): Promise<RedisSync> {
      const r = await reservations.findForUpdate(trx, id);
      if (r?.status !== 'PENDING') return nothingToSync();
      return release.endHold(trx, r, 'CANCELLED', 'user');
    },

    /**
     * Keeps a PENDING hold alive while its payment of `amount` is in progress: never shortens it, never
     * beyond the hard ceiling counted from the hold's creation. The amount is fixed from then on; a payment
     * of another amount than the order's now (its voucher changed since the payment service read it) is
     * refused, and nothing changes.
     */
    async extend(id: string, seconds: number, amount: number) {
      return db.transaction().execute(async (trx) => {
        const r = await reservations.findForUpdate(trx, id);
        if (!r) throw problems.notFound('The reservation');
        const now = Date.now();
        if (r.status !== 'PENDING' || r.expiresAt.getTime() <= now) {
          throw problems.conflict('HOLD_RELEASED', `The hold can no longer be extended (${r.status}).`);
        }
        if (r.amount !== amount) {
          throw problems.conflict(
            'AMOUNT_CHANGED',
            `The order comes to ${r.amount} KRW now, not ${amount} KRW: its voucher changed.`,
            { amount: r.amount },
          );
        }
        // A waiting-list offer may be given longer than the ceiling from the start: never shorten it.
        const ceiling = Math.max(r.createdAt.getTime() + rules.holdMaxSeconds * 1000, r.expiresAt.getTime());
        const wanted = Math.max(r.expiresAt.getTime(), now + seconds * 1000);
        const expiresAt = new Date(Math.min(wanted, ceiling));
        // The payment service asks for this as Toss's checkout opens: the amount is fixed from now on.
        if (!r.checkoutStartedAt) await reservations.markCheckoutStarted(trx, id);
        if (expiresAt.getTime() !== r.expiresAt.getTime()) {
          await reservations.setExpiry(trx, id, expiresAt);
          // The waiting room keeps the buyer's slot counted until the hold ends, so it must hear of this.
          await publishInTransaction(trx, 'reservation.extended', {
            reservationId: r.id,
            eventId: r.eventId,
            userId: r.userId,
            expiresAt: expiresAt.toISOString(),
          });
        }
        return { expiresAt };
      });
    },

    async confirm(id: string, paymentId: string, orderId?: string) {
      let result: Awaited<ReturnType<typeof confirmIn>>;
      try {
        result = await db.transaction().execute((trx) => confirmIn(trx, id, paymentId, orderId));
      } catch (error) {
        if (isUniqueViolation(error, 'reservations_payment')) {
          throw problems.conflict(
            'PAYMENT_ALREADY_USED',
            'This payment already confirmed another reservation.',
          );
        }
        throw error;
      }
      await syncRedis(result.sync);
      return { status: 'CONFIRMED' as const, tickets: result.tickets };
    },
  };
}

export type ReservationLifecycle = ReturnType<typeof reservationLifecycle>;

function ticketRef(t: { id: string; seatId: string; seatLabel: string }): IssuedTicket {
  return { id: t.id, seatId: t.seatId, seatLabel: t.seatLabel };
}
