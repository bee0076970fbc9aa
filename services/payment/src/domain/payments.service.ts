import type { PaymentDto, PaymentStatus } from '@tiketi/contracts';
import { type AuthUser, HttpProblem, type Kysely, mayAccess, problems } from '@tiketi/kit';
import type { ReservationClient } from '../clients/reservation.client.ts';
import type { EventScheduleRepository } from '../db/event-schedule.repository.ts';
import {
  type Payment,
  type PaymentRepository,
  type PaymentSeat,
  REFUNDABLE,
  type Refund,
} from '../db/payment.repository.ts';
import type { DB } from '../db/schema.ts';
import { assertCancellable } from './payment-rules.ts';
import type { Settlement } from './settlement.ts';

export type PaymentsDeps = {
  payments: PaymentRepository;
  schedule: EventScheduleRepository;
  settle: Settlement;
  reservations: Pick<ReservationClient, 'get'>;
  now: () => Date;
  rules: { cancelDeadlineHours: number };
};

export function toDto(p: Payment, seats: PaymentSeat[], refunds: Refund[]): PaymentDto {
  return {
    id: p.id,
    orderId: p.orderId,
    reservationId: p.reservationId,
    eventId: p.eventId,
    userId: p.userId,
    orderName: p.orderName,
    amount: p.amount,
    refundedAmount: p.refundedAmount,
    status: p.status,
    method: p.method,
    receiptUrl: p.receiptUrl,
    paymentUrl: p.checkoutUrl,
    failure: p.failureCode ? { code: p.failureCode, message: p.failureMessage ?? '' } : null,
    seats: seats
      .filter((s) => s.paymentId === p.id)
      .map((s) => ({ id: s.seatId, label: s.label, price: s.price, refunded: s.refundId !== null })),
    refunds: refunds
      .filter((r) => r.paymentId === p.id)
      .map((r) => ({
        id: r.id,
        amount: r.amount,
        seatIds: r.seatIds,
        full: r.fullRefund,
        reason: r.reason,
        status: r.status,
        lateApproval: r.lateApproval,
        createdAt: r.createdAt.toISOString(),
        completedAt: r.completedAt?.toISOString() ?? null,
      })),
    holdExpiresAt: p.holdExpiresAt.toISOString(),
    approvedAt: p.approvedAt?.toISOString() ?? null,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

/** Reads, the customer's cancellation and admin refunds. */
export function paymentsService(deps: PaymentsDeps) {
  const { payments, schedule, settle, reservations, now, rules } = deps;

  /**
   * A ticket checked in at the door was used: its buyer cannot give it back (an operator still can, with a
   * reason). Asked of the reservation service, which owns the tickets, right before the refund.
   */
  async function assertNotUsed(p: Payment, seatIds: string[] | undefined): Promise<void> {
    const r = await reservations.get(p.reservationId);
    const used = (r?.usedSeatIds ?? []).filter((id) => !seatIds || seatIds.includes(id));
    if (used.length > 0) {
      throw new HttpProblem(409, 'TICKET_USED', 'A ticket that was checked in cannot be refunded.', {
        extra: { seatIds: used },
      });
    }
  }

  async function view(p: Payment): Promise<PaymentDto> {
    const [seats, refunds] = await Promise.all([payments.seatsOf([p.id]), payments.refundsOf([p.id])]);
    return toDto(p, seats, refunds);
  }

  /** The owner or an admin; anyone else is told it does not exist. */
  async function readable(caller: AuthUser, id: string): Promise<Payment> {
    const p = await payments.findById(id);
    if (!p || !mayAccess(caller, p.userId)) throw problems.notFound('The payment');
    return p;
  }

  async function refundUnderLock(
    id: string,
    request: { seatIds?: string[] | undefined; amount?: number | undefined; reason: string },
    requestedBy: AuthUser,
    requestId: string | undefined,
    /** Runs under the payment's lock, on its connection. */
    check: (p: Payment, conn: Kysely<DB>) => Promise<void>,
  ): Promise<PaymentDto> {
    const locked = await payments.withLock(id, { wait: true }, async (conn) => {
      const p = await settle.reload(conn, id);
      // The same Idempotency-Key request again, after its first attempt died mid-way: finish that refund.
      const earlier = requestId ? await payments.findRefundOfRequest(requestId, conn) : undefined;
      if (earlier) return settle.resumeRefund(conn, p, earlier);
      if (!REFUNDABLE.includes(p.status)) {
        throw problems.conflict('PAYMENT_NOT_REFUNDABLE', `A ${p.status} payment cannot be refunded.`);
      }
      await check(p, conn);
      return settle.refund(conn, p, request, request.reason, requestedBy.id, requestId ?? null);
    });
    if (!locked) throw new Error('waiting lock answered without a value');
    return view(locked.value);
  }

  return {
    view,

    async get(caller: AuthUser, id: string): Promise<PaymentDto> {
      return view(await readable(caller, id));
    },

    /** The caller's payments; an admin searches everyone's by user, event, reservation, order or status. */
    async list(
      caller: AuthUser,
      filter: {
        userId?: string | undefined;
        eventId?: string | undefined;
        reservationId?: string | undefined;
        orderId?: string | undefined;
        status?: PaymentStatus | undefined;
      },
      page: { page: number; pageSize: number },
    ) {
      const userId = caller.role === 'admin' ? filter.userId : caller.id;
      const result = await payments.list({
        ...filter,
        userId,
        limit: page.pageSize,
        offset: (page.page - 1) * page.pageSize,
      });
      const ids = result.items.map((p) => p.id);
      const [seats, refunds] = await Promise.all([payments.seatsOf(ids), payments.refundsOf(ids)]);
      return {
        items: result.items.map((p) => toDto(p, seats, refunds)),
        page: page.page,
        pageSize: page.pageSize,
        total: result.total,
      };
    },

    /** The owner gives tickets back before the deadline: all of them, or some seats for their prices. */
    async cancel(
      caller: AuthUser,
      id: string,
      request: { reason: string; seatIds?: string[] | undefined },
      requestId?: string,
    ) {
      const p = await readable(caller, id);
      if (p.userId !== caller.id) throw problems.forbidden('Only the buyer cancels; operators refund.');
      return refundUnderLock(id, request, caller, requestId, async (current, conn) => {
        assertCancellable(await schedule.find(current.eventId, conn), now(), rules.cancelDeadlineHours);
        await assertNotUsed(current, request.seatIds);
      });
    },

    /** An operator refunds at any time: everything left, some seats, or an amount (seats kept). */
    async refund(
      admin: AuthUser,
      id: string,
      request: { reason: string; seatIds?: string[] | undefined; amount?: number | undefined },
      requestId?: string,
    ) {
      await readable(admin, id);
      return refundUnderLock(id, request, admin, requestId, async () => undefined);
    },

    revenue: (eventId: string) => payments.revenue(eventId),
  };
}

export type PaymentsService = ReturnType<typeof paymentsService>;
