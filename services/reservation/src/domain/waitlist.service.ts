import type { EventData, WaitlistEntry, WaitlistJoinRequest } from '@tiketi/contracts';
import {
  type AuthUser,
  HttpProblem,
  type Kysely,
  type Logger,
  problems,
  publishInTransaction,
  type Transaction,
} from '@tiketi/kit';
import { v7 as uuidv7 } from 'uuid';
import type { DB, SeatChange } from '../db/schema.ts';
import type { FreeSeat, WaitlistRepository } from '../db/waitlist.repository.ts';
import { assertEmailVerified, assertMayBuy } from './buyer-rules.ts';
import { nothingToSync, type RedisSync, type SyncRedis } from './redis-sync.ts';
import { assertOnSale } from './sale-info.ts';

/** How many waiting fans one release looks through for someone the returned seats suit. */
const LOOK_AHEAD = 200;

/**
 * Offers returned seats to the waiting list, inside the transaction that released them: the seats never
 * become anyone else's in between, and a crash either keeps the hold that was ending or commits the offer
 * with its `waitlist.offered` outbox row. Each offer is a PENDING reservation of the fan, so it is guarded
 * by the same unique index as any hold and counts towards the fan's per-user limit.
 */
export function waitlistOffers(deps: { waitlist: WaitlistRepository; logger: Logger }) {
  const { waitlist } = deps;

  async function offerOnEvent(trx: Transaction<DB>, eventId: string): Promise<SeatChange[]> {
    const fans = await waitlist.waiting(trx, eventId, LOOK_AHEAD);
    if (fans.length === 0) return [];
    const sale = await waitlist.saleForOffers(trx, eventId);
    if (!sale) return [];
    let free = await waitlist.lockFreeSeats(trx, eventId);
    const changes: SeatChange[] = [];
    for (const fan of fans) {
      if (free.length === 0) break;
      const suited = free.filter((s) => fan.tierId === null || s.tierId === fan.tierId);
      if (suited.length < fan.quantity) continue;
      const active = await waitlist.claimFan(trx, fan, eventId);
      if (active === undefined || active + fan.quantity > sale.perUserLimit) continue;
      const seats: FreeSeat[] = suited.slice(0, fan.quantity);
      const reservationId = uuidv7();
      const expiresAt = new Date(Date.now() + sale.waitlistOfferMinutes * 60_000);
      changes.push(
        ...(await waitlist.makeOffer(trx, {
          reservationId,
          entryId: fan.id,
          userId: fan.userId,
          eventId,
          seats,
          expiresAt,
        })),
      );
      const taken = new Set(seats.map((s) => s.id));
      free = free.filter((s) => !taken.has(s.id));
      const announced = {
        reservationId,
        eventId,
        userId: fan.userId,
        seatIds: seats.map((s) => s.id),
        amount: seats.reduce((sum, s) => sum + s.price, 0),
        expiresAt: expiresAt.toISOString(),
      };
      await publishInTransaction(trx, 'reservation.created', announced);
      await publishInTransaction(trx, 'waitlist.offered', {
        ...announced,
        seatLabels: seats.map((s) => s.label),
        standingAreas: sale.standingAreas.map((area) => area.section),
      } satisfies EventData<'waitlist.offered'>);
      deps.logger.info({ eventId, reservationId, seats: seats.length }, 'waiting-list offer made');
    }
    return changes;
  }

  return {
    /**
     * After holds ended (expired, cancelled, refunded) in this transaction: offers that ended with them
     * lapse, and the events' free seats go to the first waiting fans they suit.
     */
    async afterRelease(
      trx: Transaction<DB>,
      ended: { reservationIds: string[]; eventIds: string[] },
    ): Promise<SeatChange[]> {
      await waitlist.lapseOffers(trx, ended.reservationIds);
      const changes: SeatChange[] = [];
      for (const eventId of new Set(ended.eventIds)) changes.push(...(await offerOnEvent(trx, eventId)));
      return changes;
    },

    markClaimed: waitlist.markClaimed,
  };
}

export type WaitlistOffers = ReturnType<typeof waitlistOffers>;

/** The fan's side: join, see the place, leave. */
export function waitlistService(deps: {
  db: Kysely<DB>;
  waitlist: WaitlistRepository;
  /** Gives an offer's hold back (its seats go to the next fan) in the caller's transaction. */
  cancelOffer: (trx: Transaction<DB>, reservationId: string) => Promise<RedisSync>;
  syncRedis: SyncRedis;
}) {
  const { db, waitlist, syncRedis } = deps;

  async function status(userId: string, eventId: string): Promise<WaitlistEntry | null> {
    const row = await waitlist.openEntry(eventId, userId);
    if (!row) return null;
    return {
      eventId: row.eventId,
      tierId: row.tierId,
      quantity: row.quantity,
      status: row.status,
      place: row.place,
      joinedAt: row.joinedAt.toISOString(),
      offer:
        row.reservationId && row.expiresAt
          ? { reservationId: row.reservationId, expiresAt: row.expiresAt.toISOString() }
          : null,
    };
  }

  return {
    status,

    /** Joins the list of a sold-out event; joining again answers the entry already there. */
    async join(
      caller: AuthUser,
      eventId: string,
      request: Required<Pick<WaitlistJoinRequest, 'quantity'>> & WaitlistJoinRequest,
    ) {
      assertMayBuy(caller);
      assertEmailVerified(caller);
      const existing = await status(caller.id, eventId);
      if (existing) return { entry: existing, created: false };
      const event = await waitlist.eventForJoin(eventId);
      if (!event) throw problems.notFound('The event');
      assertOnSale({ ...event, eventId }, new Date());
      const tierId = request.tierId ?? null;
      if (tierId !== null && !event.priceTiers.some((t) => t.id === tierId)) {
        throw problems.unprocessable('UNKNOWN_TIER', 'This price tier is not one of this event.', { tierId });
      }
      // Seats the fan already holds or bought count: an offer past the limit would never be made, and
      // the fan would wait at the head of the line for nothing.
      const active = await waitlist.activeSeats(caller.id, eventId);
      if (active + request.quantity > event.perUserLimit) {
        const have = active
          ? ` (you already have ${active}: wait for ${event.perUserLimit - active} at most)`
          : '';
        throw problems.conflict(
          'PER_USER_LIMIT',
          `At most ${event.perUserLimit} seats per person for this event${have}.`,
          { limit: event.perUserLimit, active },
        );
      }
      if ((await waitlist.availableCount(eventId, tierId)) > 0) {
        throw new HttpProblem(
          409,
          'WAITLIST_NOT_SOLD_OUT',
          'Seats are still on sale for this event: choose them on the seat map instead.',
        );
      }
      const created = await waitlist.insert({
        id: uuidv7(),
        eventId,
        userId: caller.id,
        tierId,
        quantity: request.quantity,
      });
      const entry = await status(caller.id, eventId);
      if (!entry) throw new Error('waiting-list entry vanished right after it was written');
      return { entry, created };
    },

    /** Leaves the list; an offer in hand is given back and goes to the next fan. Leaving twice is fine. */
    async leave(caller: AuthUser, eventId: string) {
      const sync = await db.transaction().execute(async (trx) => {
        const entry = await waitlist.lockOpenEntry(trx, eventId, caller.id);
        if (!entry) return nothingToSync();
        await waitlist.setStatus(trx, entry.id, 'LEFT');
        return entry.reservationId ? deps.cancelOffer(trx, entry.reservationId) : nothingToSync();
      });
      await syncRedis(sync);
    },
  };
}

export type WaitlistService = ReturnType<typeof waitlistService>;
