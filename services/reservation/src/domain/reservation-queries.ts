import type {
  InternalUserCommitments,
  InternalUserEventHolds,
  ReservationDto,
  ReservationStatus,
} from '@tiketi/contracts';
import { type AuthUser, mayAccess, problems } from '@tiketi/kit';
import type { ReservationRepository } from '../db/reservation.repository.ts';
import type { Reservation } from '../db/schema.ts';
import type { TicketRepository } from '../db/ticket.repository.ts';
import type { VoucherRepository } from '../db/voucher.repository.ts';

/** Owner or admin; anyone else is told it does not exist rather than that it is someone else's. */
export async function readableReservation(
  reservations: Pick<ReservationRepository, 'findById'>,
  caller: AuthUser,
  id: string,
): Promise<Reservation> {
  const r = await reservations.findById(id);
  if (!r || !mayAccess(caller, r.userId)) throw problems.notFound('The reservation');
  return r;
}

/** Reading reservations: the owner's (or an operator's) view, and the payment service's. */
export function reservationQueries(deps: {
  reservations: ReservationRepository;
  tickets: TicketRepository;
  vouchers: VoucherRepository;
}) {
  const { reservations, tickets, vouchers } = deps;

  /** Reservations as their owners see them: seats at their prices, and the voucher's code and discount. */
  async function views(rs: Reservation[]): Promise<ReservationDto[]> {
    const [seats, codes, offers] = await Promise.all([
      reservations.seatsOf(rs.map((r) => r.id)),
      vouchers.codesOf(rs.flatMap((r) => (r.voucherId ? [r.voucherId] : []))),
      reservations.waitlistOffers(rs.map((r) => r.id)),
    ]);
    return rs.map((r) => ({
      id: r.id,
      eventId: r.eventId,
      userId: r.userId,
      status: r.status,
      amount: r.amount,
      discount: r.discount,
      voucherCode: r.voucherId ? (codes.get(r.voucherId) ?? null) : null,
      expiresAt: r.expiresAt.toISOString(),
      createdAt: r.createdAt.toISOString(),
      confirmedAt: r.confirmedAt?.toISOString() ?? null,
      seats: seats
        .filter((s) => s.reservationId === r.id)
        .map((s) => ({ id: s.seatId, label: s.label, price: s.price })),
      waitlistOffer: offers.has(r.id),
    }));
  }

  return {
    async get(caller: AuthUser, id: string): Promise<ReservationDto> {
      const [one] = await views([await readableReservation(reservations, caller, id)]);
      if (!one) throw new Error(`no view of reservation ${id}`);
      return one;
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

    /** The payment service's view (`GET /internal/reservations/:id`). */
    /** What still ties a user to a sale (`GET /internal/users/:userId/commitments`). */
    async commitmentsOf(userId: string): Promise<InternalUserCommitments> {
      const [holds, upcomingTickets] = await Promise.all([
        reservations.countLiveHolds(userId),
        tickets.countUpcoming(userId),
      ]);
      return { holds, upcomingTickets };
    },

    /** The user's live holds in one event (`GET /internal/users/:userId/events/:eventId/holds`). */
    async holdsIn(userId: string, eventId: string): Promise<InternalUserEventHolds> {
      return { holds: await reservations.liveHoldsIn(userId, eventId) };
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
  };
}

export type ReservationQueries = ReturnType<typeof reservationQueries>;
