import type { EventData, ReservationStatus } from '@tiketi/contracts';
import {
  type AuthUser,
  HttpProblem,
  isUniqueViolation,
  type Kysely,
  type Logger,
  makeEnvelope,
  mayAccess,
  problems,
  publishInTransaction,
  type Transaction,
  verifyAdmissionToken,
} from '@tiketi/kit';
import { v7 as uuidv7 } from 'uuid';
import type { AdmissionRegister } from '../cache/admissions.ts';
import type { SeatLocks } from '../cache/seat-locks.ts';
import type { HeldSeat, Released, ReservationRepository } from '../db/reservation.repository.ts';
import type { DB, ReservationsTable } from '../db/schema.ts';
import type { StandingRepository } from '../db/standing.repository.ts';
import type { TicketRepository } from '../db/ticket.repository.ts';
import type { VoucherRepository } from '../db/voucher.repository.ts';
import { type Aftermath, type AftermathRunner, noAftermath, releasedAftermath } from './effects.ts';
import { assertOnSale, type SaleInfoSource } from './sale-info.ts';
import { newTicketCode } from './ticket-code.ts';
import { signTicketQr } from './ticket-qr.ts';
import type { WaitlistOffers } from './waitlist.service.ts';

export type ReservationRules = {
  holdTtlSeconds: number;
  holdMaxSeconds: number;
  maxSeatsPerRequest: number;
  queueTokenSecret: string;
  ticketSigningSecret: string;
};

export type ReservationDeps = {
  db: Kysely<DB>;
  reservations: ReservationRepository;
  tickets: TicketRepository;
  standing: StandingRepository;
  vouchers: VoucherRepository;
  sales: SaleInfoSource;
  locks: SeatLocks | undefined;
  admissions: AdmissionRegister;
  settle: AftermathRunner;
  /** Seats given back go to the event's waiting list first, in the transaction that gives them back. */
  offers: WaitlistOffers;
  rules: ReservationRules;
  logger: Logger;
};

/** A reservation as read: the columns the database fills in are plain values. */
type Reservation = Omit<
  ReservationsTable,
  'createdAt' | 'updatedAt' | 'voucherId' | 'discount' | 'checkoutStartedAt'
> & {
  createdAt: Date;
  updatedAt: Date;
  voucherId: string | null;
  discount: number;
  checkoutStartedAt: Date | null;
};

export type HoldRequest = {
  eventId: string;
  seatIds: string[];
  /** Places held by count in standing areas, besides `seatIds`. */
  standing?: { section: string; quantity: number }[] | undefined;
  /** The request by count these picked places answer: a retry is compared with it. */
  placesOf?: HoldRequest;
  queueToken: string | undefined;
  idempotencyKey: string | undefined;
};

export type HoldOutcome = {
  answer: { reservationId: string; expiresAt: Date; amount: number };
  created: boolean;
};

export type IssuedTicket = { id: string; seatId: string; seatLabel: string };

const ACTIVE: ReservationStatus[] = ['PENDING', 'CONFIRMED'];
/** How many times places taken by someone else in between are picked again before saying so. */
const PLACE_PICKS = 4;

/**
 * Seats are held only by accounts whose owner proved the address (the access token's `email_verified`,
 * true only in tokens signed after the proof): an account registered with someone else's address, to be
 * taken over later, can hold nothing meanwhile.
 */
export function assertEmailVerified(caller: AuthUser): void {
  if (!caller.emailVerified) {
    throw new HttpProblem(
      403,
      'EMAIL_NOT_VERIFIED',
      'Verify your email address first: open the link in the mail we sent you, then sign in again.',
    );
  }
}

/** Door-staff accounts exist to check tickets in; they buy nothing, so a ticket never belongs to one. */
export function assertMayBuy(caller: AuthUser): void {
  if (caller.role === 'staff') {
    throw new HttpProblem(
      403,
      'STAFF_CANNOT_BUY',
      'Door-staff accounts cannot buy tickets; sign in with a personal account to buy.',
    );
  }
}

export function reservationService(deps: ReservationDeps) {
  const {
    db,
    reservations,
    tickets,
    standing,
    vouchers,
    sales,
    locks,
    admissions,
    settle,
    offers,
    rules,
    logger,
  } = deps;

  /** The released seats' aftermath, with the waiting-list offers made from them in the same transaction. */
  async function offerReleased(
    trx: Transaction<DB>,
    released: Released,
    ended: { reservationIds: string[]; eventIds: string[] },
  ): Promise<Aftermath> {
    const aftermath = releasedAftermath(released);
    aftermath.seats.push(...(await offers.afterRelease(trx, ended)));
    return aftermath;
  }

  /** Reservations as their owners see them: seats at their prices, and the voucher's code and discount. */
  async function views(rs: Reservation[]) {
    const [seats, codes] = await Promise.all([
      reservations.seatsOf(rs.map((r) => r.id)),
      vouchers.codesOf(rs.flatMap((r) => (r.voucherId ? [r.voucherId] : []))),
    ]);
    return rs.map((r) => ({
      ...r,
      voucherCode: r.voucherId ? (codes.get(r.voucherId) ?? null) : null,
      seats: seats
        .filter((s) => s.reservationId === r.id)
        .map((s) => ({ id: s.seatId, label: s.label, price: s.price })),
    }));
  }

  async function view(r: Reservation) {
    const [one] = await views([r]);
    if (!one) throw new Error(`no view of reservation ${r.id}`);
    return one;
  }

  /** Owner or admin; anyone else is told it does not exist rather than that it is someone else's. */
  async function readable(caller: AuthUser, id: string): Promise<Reservation> {
    const r = await reservations.findById(id);
    if (!r || !mayAccess(caller, r.userId)) throw problems.notFound('The reservation');
    return r;
  }

  function holdAnswer(r: Pick<Reservation, 'id' | 'expiresAt' | 'amount'>) {
    return { reservationId: r.id, expiresAt: r.expiresAt, amount: r.amount };
  }

  async function replay(userId: string, key: string, request: HoldRequest) {
    const existing = await reservations.findByIdempotencyKey(userId, key);
    if (!existing) return undefined;
    const seats = await reservations.seatsOf([existing.id]);
    const same =
      existing.eventId === request.eventId &&
      (await sameSeats(
        existing.eventId,
        seats.map((s) => s.seatId),
        request.placesOf ?? request,
      ));
    if (!same) {
      throw problems.unprocessable(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was already used for a different reservation request.',
      );
    }
    return holdAnswer(existing);
  }

  /** The seats asked for by id, and as many places in each standing area as asked (whichever they are). */
  async function sameSeats(eventId: string, seatIds: string[], request: HoldRequest): Promise<boolean> {
    const places = request.standing ?? [];
    const wanted = request.seatIds.length + places.reduce((sum, p) => sum + p.quantity, 0);
    if (seatIds.length !== wanted || !request.seatIds.every((id) => seatIds.includes(id))) return false;
    if (places.length === 0) return true;
    const sections = await standing.sectionsOf(
      eventId,
      seatIds.filter((id) => !request.seatIds.includes(id)),
    );
    return places.every(
      (p) => [...sections.values()].filter((section) => section === p.section).length === p.quantity,
    );
  }

  /**
   * Holds places by count: picks free places of each area, then holds them with the seats asked for by id
   * like any seats. Places someone else took in between are picked again, a few times.
   */
  async function holdPlaces(
    caller: AuthUser,
    request: HoldRequest,
    holdSeats: (caller: AuthUser, request: HoldRequest) => Promise<HoldOutcome>,
  ): Promise<HoldOutcome> {
    const places = request.standing ?? [];
    if (new Set(places.map((p) => p.section)).size !== places.length) {
      throw problems.badRequest('standing names the same area more than once.');
    }
    const key = request.idempotencyKey;
    if (key) {
      const previous = await replay(caller.id, key, request);
      if (previous) return { answer: previous, created: false };
    }
    const areas = await standing.areas(request.eventId);
    const notStanding = places.filter((p) => !areas.has(p.section)).map((p) => p.section);
    if (notStanding.length) {
      throw problems.unprocessable(
        'NOT_STANDING_AREA',
        'These sections are not standing areas of this event.',
        {
          sections: notStanding,
        },
      );
    }
    for (let attempt = 1; ; attempt++) {
      const picked: string[] = [];
      for (const p of places) {
        const ids = await standing.pick(request.eventId, p.section, p.quantity);
        if (ids.length < p.quantity) {
          throw problems.conflict(
            'STANDING_SOLD_OUT',
            `Only ${ids.length} place(s) are left in ${p.section}.`,
            { section: p.section, left: ids.length },
          );
        }
        picked.push(...ids);
      }
      try {
        return await holdSeats(caller, {
          ...request,
          seatIds: [...request.seatIds, ...picked],
          standing: undefined,
          placesOf: request,
        });
      } catch (error) {
        const taken = error instanceof HttpProblem && error.code === 'SEATS_TAKEN';
        const onlyPlaces =
          taken && ((error.extra?.seatIds ?? []) as string[]).every((id) => picked.includes(id));
        if (!onlyPlaces || attempt >= PLACE_PICKS) throw error;
      }
    }
  }

  async function takenAnswer(eventId: string, seatIds: string[], held: HeldSeat[]): Promise<HttpProblem> {
    const known = await reservations.existingSeatIds(eventId, seatIds);
    const unknown = seatIds.filter((id) => !known.has(id));
    if (unknown.length) {
      return problems.unprocessable('UNKNOWN_SEATS', 'Some seats are not seats of this event.', {
        seatIds: unknown,
      });
    }
    const heldIds = new Set(held.map((s) => s.id));
    return seatsTaken(seatIds.filter((id) => !heldIds.has(id)));
  }

  function seatsTaken(seatIds: string[]) {
    return problems.conflict('SEATS_TAKEN', 'Some of these seats were just taken by someone else.', {
      seatIds,
    });
  }

  /** Releases a PENDING reservation's seats and gives it its final status, in the caller's transaction. */
  async function endHold(
    trx: Transaction<DB>,
    r: Pick<Reservation, 'id' | 'userId' | 'eventId'>,
    status: 'CANCELLED' | 'EXPIRED',
    reason: EventData<'reservation.cancelled'>['reason'],
  ): Promise<Aftermath> {
    const released = await reservations.releaseSeats(trx, [r.id]);
    await vouchers.giveBackUses(trx, [r.id]);
    await reservations.setStatus(trx, [r.id], status);
    const seatIds = released.byReservation.get(r.id) ?? [];
    if (seatIds.length) {
      const base = { reservationId: r.id, eventId: r.eventId, userId: r.userId, seatIds };
      if (status === 'EXPIRED') await publishInTransaction(trx, 'reservation.expired', base);
      else await publishInTransaction(trx, 'reservation.cancelled', { ...base, reason });
    }
    return offerReleased(trx, released, { reservationIds: [r.id], eventIds: [r.eventId] });
  }

  /** The confirmation rule shared by the internal call and the `payment.completed` consumer. */
  async function confirmIn(
    trx: Transaction<DB>,
    reservationId: string,
    paymentId: string,
  ): Promise<{ tickets: IssuedTicket[]; aftermath: Aftermath }> {
    const r = await reservations.findForUpdate(trx, reservationId);
    if (!r) throw problems.notFound('The reservation');
    if (r.status === 'CONFIRMED') {
      if (r.paymentId !== paymentId) {
        throw problems.conflict('ALREADY_CONFIRMED', 'This reservation was confirmed by another payment.');
      }
      const issued = await tickets.ofReservation(r.id, trx);
      return { tickets: issued.map(ticketRef), aftermath: noAftermath() };
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
    });
    return { tickets: issued.map(ticketRef), aftermath: { seats: sold, unlock: new Map() } };
  }

  const service = {
    view,

    /**
     * Holds seats for the caller: a proved email address, sale open, admission token for a queued event,
     * per-user limit, Redis locks as the fast path, then one transaction in PostgreSQL that holds all seats
     * or none.
     */
    async hold(caller: AuthUser, request: HoldRequest): Promise<HoldOutcome> {
      assertMayBuy(caller);
      assertEmailVerified(caller);
      if (request.standing?.length) return holdPlaces(caller, request, service.hold);
      const { eventId, seatIds } = request;
      if (new Set(seatIds).size !== seatIds.length) {
        throw problems.badRequest('seatIds has the same seat more than once.');
      }
      if (seatIds.length > rules.maxSeatsPerRequest) {
        throw problems.badRequest(`At most ${rules.maxSeatsPerRequest} seats can be held at once.`);
      }
      const key = request.idempotencyKey;
      if (key) {
        const previous = await replay(caller.id, key, request);
        if (previous) return { answer: previous, created: false };
      }
      const sale = await sales.get(eventId);
      if (!sale) throw problems.notFound('The event');
      assertOnSale(sale, new Date());
      if (sale.waitingRoom.enabled) {
        await verifyAdmissionToken(rules.queueTokenSecret, request.queueToken, caller.id, eventId);
        if (!(await admissions.isLive(eventId, caller.id))) throw admissionEnded();
      }
      if (seatIds.length > sale.perUserLimit) throw limitExceeded(sale.perUserLimit);

      const reservationId = uuidv7();
      const locked = await acquireLocks(eventId, seatIds, reservationId);
      // A retried request whose first attempt won answers that attempt's reservation, not a refusal.
      const replayed = async () => {
        const again = key ? await replay(caller.id, key, request) : undefined;
        return again ? { answer: again, created: false } : undefined;
      };
      const unlock = async () => {
        if (locked.state === 'locked') await locks?.release(seatIds, reservationId).catch(() => undefined);
      };
      if (locked.state === 'taken') {
        const again = await replayed();
        if (again) return again;
        throw seatsTaken(locked.taken);
      }
      const expiresAt = new Date(Date.now() + rules.holdTtlSeconds * 1000);
      let result: Awaited<ReturnType<ReservationRepository['hold']>>;
      try {
        result = await reservations.hold({
          reservationId,
          userId: caller.id,
          eventId,
          seatIds,
          expiresAt,
          idempotencyKey: key ?? null,
          perUserLimit: sale.perUserLimit,
          // The amount is the seats' price sum, which only the hold statement knows: it fills it in.
          announcement: makeEnvelope('reservation.created', {
            reservationId,
            eventId,
            userId: caller.id,
            seatIds,
            amount: 0,
            expiresAt: expiresAt.toISOString(),
          }),
        });
      } catch (error) {
        await unlock();
        if (isUniqueViolation(error)) {
          const again = await replayed();
          if (again) return again;
        }
        if (isUniqueViolation(error, 'reservation_seats_one_active')) {
          throw await takenAnswer(eventId, seatIds, []);
        }
        throw error;
      }
      if (!result.created) {
        await unlock();
        // The statement's own read of the sale: a cancellation may have come after the cached one above.
        if (!result.onSale) {
          throw new HttpProblem(409, 'EVENT_NOT_ON_SALE', 'This event is not on sale any more.');
        }
        if (result.active + seatIds.length > sale.perUserLimit) {
          throw limitExceeded(sale.perUserLimit, result.active);
        }
        const again = await replayed();
        if (again) return again;
        throw await takenAnswer(eventId, seatIds, result.held);
      }
      const held = result.held;
      await settle({
        seats: held.map((s) => ({ id: s.id, eventId, status: 'held', version: s.version })),
        unlock: new Map(),
      });
      const amount = held.reduce((sum, s) => sum + s.price, 0);
      return { answer: holdAnswer({ id: reservationId, expiresAt, amount }), created: true };
    },

    async get(caller: AuthUser, id: string) {
      return view(await readable(caller, id));
    },

    async list(
      caller: AuthUser,
      filter: {
        userId?: string | undefined;
        eventId?: string | undefined;
        status?: ReservationStatus | undefined;
      },
      page: { limit: number; offset: number },
    ) {
      const userId = caller.role === 'admin' ? filter.userId : caller.id;
      const result = await reservations.list({ ...filter, userId, ...page });
      return { total: result.total, items: await views(result.items) };
    },

    /** The owner (or an admin) gives a PENDING hold back; cancelling twice answers the same. */
    async cancel(caller: AuthUser, id: string) {
      await readable(caller, id);
      const aftermath = await db.transaction().execute(async (trx) => {
        const r = await reservations.findForUpdate(trx, id);
        if (!r) throw problems.notFound('The reservation');
        if (r.status === 'CANCELLED') return noAftermath();
        if (r.status !== 'PENDING') {
          throw problems.conflict(
            'RESERVATION_NOT_PENDING',
            `Only a held reservation can be cancelled; this one is ${r.status}.`,
          );
        }
        const reason = caller.id === r.userId ? 'user' : 'admin';
        return endHold(trx, r, 'CANCELLED', reason);
      });
      await settle(aftermath);
      return view(await readable(caller, id));
    },

    /** Gives a PENDING hold back in the caller's transaction (a fan leaving the waiting list with an offer). */
    async cancelIn(trx: Transaction<DB>, id: string): Promise<Aftermath> {
      const r = await reservations.findForUpdate(trx, id);
      if (r?.status !== 'PENDING') return noAftermath();
      return endHold(trx, r, 'CANCELLED', 'user');
    },

    async internalView(id: string) {
      const r = await reservations.findById(id);
      if (!r) throw problems.notFound('The reservation');
      const issued = await tickets.ofReservation(r.id);
      const seats = await reservations.seatsOf([r.id]);
      return {
        ...r,
        // What each seat was paid for (its price less its share of a voucher), which a refund gives back.
        seats: seats.map((s) => ({ id: s.seatId, label: s.label, price: s.price - s.discount })),
        usedSeatIds: issued.filter((t) => t.status === 'USED').map((t) => t.seatId),
      };
    },

    /**
     * Keeps a PENDING hold alive while its payment is in progress: never shortens it, never beyond the
     * hard ceiling counted from the hold's creation.
     */
    async extend(id: string, seconds: number) {
      return db.transaction().execute(async (trx) => {
        const r = await reservations.findForUpdate(trx, id);
        if (!r) throw problems.notFound('The reservation');
        const now = Date.now();
        if (r.status !== 'PENDING' || r.expiresAt.getTime() <= now) {
          throw problems.conflict('HOLD_RELEASED', `The hold can no longer be extended (${r.status}).`);
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

    async confirm(id: string, paymentId: string) {
      let result: Awaited<ReturnType<typeof confirmIn>>;
      try {
        result = await db.transaction().execute((trx) => confirmIn(trx, id, paymentId));
      } catch (error) {
        if (isUniqueViolation(error, 'reservations_payment')) {
          throw problems.conflict(
            'PAYMENT_ALREADY_USED',
            'This payment already confirmed another reservation.',
          );
        }
        throw error;
      }
      await settle(result.aftermath);
      return { status: 'CONFIRMED' as const, tickets: result.tickets };
    },

    /** `payment.completed`: the same rule as the internal confirm, for when that call did not get through. */
    async onPaymentCompleted(trx: Transaction<DB>, data: EventData<'payment.completed'>): Promise<Aftermath> {
      const r = await reservations.findById(data.reservationId, trx);
      if (!r) {
        logger.error({ reservationId: data.reservationId }, 'payment completed for an unknown reservation');
        return noAftermath();
      }
      if (r.userId !== data.userId || r.amount !== data.amount) {
        logger.error(
          { reservationId: r.id, paymentId: data.paymentId },
          'payment completed does not match its reservation (user or amount); not confirming',
        );
        return noAftermath();
      }
      try {
        return (await confirmIn(trx, data.reservationId, data.paymentId)).aftermath;
      } catch (error) {
        if (error instanceof HttpProblem && error.status === 409) {
          logger.warn({ reservationId: r.id, code: error.code }, 'payment completed but not confirmed');
          return noAftermath();
        }
        throw error;
      }
    },

    /**
     * `payment.refunded`: a full refund voids every ticket and releases every seat (REFUNDED); a partial
     * one voids the tickets of the refunded seats and releases those seats only. Seats already given to
     * someone else are never touched (the release is scoped to this reservation).
     */
    async onPaymentRefunded(trx: Transaction<DB>, data: EventData<'payment.refunded'>): Promise<Aftermath> {
      const r = await reservations.findForUpdate(trx, data.reservationId);
      if (!r) return noAftermath();
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
      return offerReleased(trx, released, { reservationIds: [r.id], eventIds: [r.eventId] });
    },

    /** `event.cancelled`: holds in progress end; paid reservations are left to the payment service's refunds. */
    async onEventCancelled(trx: Transaction<DB>, eventId: string): Promise<Aftermath> {
      const pending = await reservations.pendingOfEvent(trx, eventId);
      const all: Aftermath = noAftermath();
      for (const r of pending) {
        const one = await endHold(trx, r, 'CANCELLED', 'event_cancelled');
        all.seats.push(...one.seats);
        for (const [k, v] of one.unlock) all.unlock.set(k, v);
      }
      return all;
    },

    /** One sweep of expired holds; answers how many were released. */
    async expireDue(batchSize: number): Promise<number> {
      const { count, aftermath } = await db.transaction().execute(async (trx) => {
        const due = await reservations.expireDue(trx, batchSize);
        if (due.length === 0) return { count: 0, aftermath: noAftermath() };
        await vouchers.giveBackUses(
          trx,
          due.map((r) => r.id),
        );
        const released = await reservations.releaseSeats(
          trx,
          due.map((r) => r.id),
        );
        for (const r of due) {
          const seatIds = released.byReservation.get(r.id) ?? [];
          if (seatIds.length) {
            await publishInTransaction(trx, 'reservation.expired', {
              reservationId: r.id,
              eventId: r.eventId,
              userId: r.userId,
              seatIds,
              waitlistOffer: r.waitlistOffer,
            });
          }
        }
        const aftermath = await offerReleased(trx, released, {
          reservationIds: due.map((r) => r.id),
          eventIds: due.map((r) => r.eventId),
        });
        return { count: due.length, aftermath };
      });
      await settle(aftermath);
      return count;
    },
  };
  return service;

  function limitExceeded(limit: number, active = 0) {
    return problems.conflict(
      'PER_USER_LIMIT',
      `At most ${limit} seats per person for this event${active ? ` (you already hold ${active})` : ''}.`,
      { limit, active },
    );
  }

  /** 'taken' (with the refused seats) when Redis turned the request away; 'skipped' when locks are off or down. */
  async function acquireLocks(
    eventId: string,
    seatIds: string[],
    owner: string,
  ): Promise<{ state: 'locked' | 'skipped' } | { state: 'taken'; taken: string[] }> {
    if (!locks) return { state: 'skipped' };
    try {
      const taken = await locks.acquire(eventId, seatIds, owner);
      return taken.length ? { state: 'taken', taken } : { state: 'locked' };
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'seat locks unavailable; the database decides alone');
      return { state: 'skipped' };
    }
  }
}

export type ReservationService = ReturnType<typeof reservationService>;

function ticketRef(t: { id: string; seatId: string; seatLabel: string }): IssuedTicket {
  return { id: t.id, seatId: t.seatId, seatLabel: t.seatLabel };
}

function admissionEnded(): HttpProblem {
  return new HttpProblem(
    403,
    'QUEUE_ADMISSION_ENDED',
    'Your admission has ended (its purchase is over, it was cancelled or it lapsed): join the waiting room again.',
  );
}
