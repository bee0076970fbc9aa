import type { PaymentStatus } from '@tiketi/contracts';
import { HttpProblem, type Kysely, type Logger, problems, publishInTransaction } from '@tiketi/kit';
import {
  isAlreadyCanceled,
  isAlreadyProcessed,
  isNotFound,
  isRetryable,
  type TossClient,
  TossError,
  type TossPayment,
} from '@tiketi/toss';
import { v7 as uuidv7 } from 'uuid';
import type { ReservationClient } from '../clients/reservation.client.ts';
import type { EventScheduleRepository } from '../db/event-schedule.repository.ts';
import { type Payment, type PaymentRepository, type Refund, UNSETTLED } from '../db/payment.repository.ts';
import type { DB } from '../db/schema.ts';
import type { PaymentMetrics } from './metrics.ts';
import { planRefund, type RefundRequest } from './payment-rules.ts';

export type SettlementDeps = {
  payments: PaymentRepository;
  schedule: EventScheduleRepository;
  toss: TossClient;
  reservations: ReservationClient;
  metrics: PaymentMetrics;
  logger: Logger;
  now: () => Date;
};

/** Toss kept the money but the outcome is not known yet: the payment stays open for reconciliation. */
export function stillSettling(detail: string, cause?: unknown): HttpProblem {
  return new HttpProblem(503, 'PAYMENT_PENDING', detail, {
    cause,
    headers: { 'retry-after': '5' },
  });
}

/**
 * Per order and Toss payment: a retry is the same request, and a wrong key tried first never blocks the
 * right one.
 */
export const confirmKey = (orderId: string, paymentKey: string) => `confirm-${orderId}-${paymentKey}`;
export const refundKey = (refundId: string) => `refund-${refundId}`;

const LATE_REFUND_REASON = 'The seat hold ended before the payment was approved.';
/** How the reason of every refund a cancelled event calls for begins (see cancellation-refunds). */
export const EVENT_CANCELLED_REASON = 'The event was cancelled';
/** The problem code of a checkout or confirm refused, or an approval given back, for a cancelled event. */
export const EVENT_CANCELLED = 'EVENT_CANCELLED';

/**
 * The steps that move money and state, shared by the customer's confirm, the webhook, refunds and the
 * reconciliation job. Every function here runs under the payment's lock, on its connection `conn`, and
 * commits each step before the next outside call, so a crash between any two lines leaves a state that
 * reconciliation finishes: IN_PROGRESS before Toss is asked to approve, `approvedAt` as soon as Toss did,
 * a REQUESTED refund row before Toss is asked to cancel.
 */
export function settlement(deps: SettlementDeps) {
  const { payments, schedule, toss, reservations, metrics, logger } = deps;

  async function reload(conn: Kysely<DB>, id: string): Promise<Payment> {
    const p = await payments.findById(id, conn);
    if (!p) throw problems.notFound('The payment');
    return p;
  }

  /** Ends an open payment that took no money, and says so on the bus. */
  async function fail(
    conn: Kysely<DB>,
    p: Payment,
    status: Extract<PaymentStatus, 'FAILED' | 'EXPIRED'>,
    code: string,
    message: string,
  ): Promise<Payment> {
    const changed = await conn.transaction().execute(async (trx) => {
      const row = await payments.update(
        trx,
        p.id,
        { status, failureCode: code, failureMessage: message.slice(0, 500) },
        UNSETTLED,
      );
      if (row) {
        await publishInTransaction(trx, 'payment.failed', {
          paymentId: p.id,
          orderId: p.orderId,
          reservationId: p.reservationId,
          userId: p.userId,
          code,
          message: message.slice(0, 500),
        });
      }
      return row;
    });
    if (changed) metrics.failed();
    return changed ?? reload(conn, p.id);
  }

  /** Toss approved: the money is taken, remembered before anything else happens. */
  async function recordApproval(conn: Kysely<DB>, p: Payment, tp: TossPayment): Promise<Payment> {
    if (p.approvedAt) return p;
    const row = await payments.update(
      conn,
      p.id,
      {
        status: 'IN_PROGRESS',
        paymentKey: tp.paymentKey,
        method: tp.method ?? null,
        receiptUrl: tp.receipt?.url ?? null,
        approvedAt: tp.approvedAt ? new Date(tp.approvedAt) : deps.now(),
      },
      UNSETTLED,
    );
    return row ?? reload(conn, p.id);
  }

  /**
   * Asks Toss to approve with a key derived from the order and its Toss payment, so every retry (double
   * click, reconciliation, a second instance) is the same request and Toss charges once. Answers the payment as Toss has it, or
   * ends ours as FAILED when Toss refused; throws PAYMENT_PENDING when Toss did not answer.
   */
  async function approve(conn: Kysely<DB>, p: Payment, paymentKey: string): Promise<Payment> {
    let tp: TossPayment;
    try {
      tp = await toss.confirm(
        { paymentKey, orderId: p.orderId, amount: p.amount },
        { idempotencyKey: confirmKey(p.orderId, paymentKey) },
      );
    } catch (error) {
      if (isRetryable(error)) {
        throw stillSettling('Toss has not answered yet; the payment will be settled shortly.', error);
      }
      if (isAlreadyProcessed(error)) {
        // Approved (or ended) by an earlier call whose answer we lost: act on what Toss has.
        const current = await toss.getPayment(paymentKey);
        if (current.status === 'IN_PROGRESS') throw stillSettling('Toss is still approving the payment.');
        return settleWith(conn, p, current);
      }
      if (isNotFound(error)) {
        // Toss knows this key for another order (or not at all): the caller's word, not this order's payment.
        throw problems.conflict('PAYMENT_KEY_MISMATCH', 'This Toss payment does not belong to this order.');
      }
      if (!(error instanceof TossError)) throw error;
      logger.info({ paymentId: p.id, code: error.code }, 'Toss refused to approve');
      return fail(conn, p, 'FAILED', error.code, error.tossMessage);
    }
    return finishApproved(conn, await recordApproval(conn, p, tp));
  }

  /**
   * The money is taken: the reservation becomes CONFIRMED (tickets issued) and the payment COMPLETED with
   * `payment.completed` in the same transaction; if the reservation cannot take it any more (hold released,
   * bought meanwhile) or the event was cancelled, the whole amount goes back at once. The payment becomes
   * COMPLETED only in a transaction that read the event's schedule row under a share lock, so a cancellation
   * recorded meanwhile is either seen here or waits for this commit and then finds the payment to refund.
   */
  async function finishApproved(conn: Kysely<DB>, p: Payment): Promise<Payment> {
    if (await schedule.cancelledAt(p.eventId, conn)) return refundLate(conn, p, 'event_cancelled');
    let outcome: Awaited<ReturnType<ReservationClient['confirm']>>;
    try {
      outcome = await reservations.confirm(p.reservationId, p.id, p.orderId);
    } catch (error) {
      throw stillSettling('The payment is approved; the tickets are being issued.', error);
    }
    if (outcome.kind === 'refused') {
      logger.warn({ paymentId: p.id, code: outcome.code }, 'approved payment refused by its reservation');
      return refundLate(conn, p, 'late');
    }
    const changed = await conn.transaction().execute(async (trx) => {
      if (await schedule.cancelledAt(p.eventId, trx, { lock: true })) return 'cancelled' as const;
      const row = await payments.update(trx, p.id, { status: 'COMPLETED' }, UNSETTLED);
      if (row) {
        await publishInTransaction(trx, 'payment.completed', {
          paymentId: row.id,
          orderId: row.orderId,
          paymentKey: row.paymentKey ?? '',
          reservationId: row.reservationId,
          eventId: row.eventId,
          userId: row.userId,
          amount: row.amount,
          method: row.method ?? 'card',
          approvedAt: (row.approvedAt ?? deps.now()).toISOString(),
        });
      }
      return row;
    });
    // The reservation was confirmed a moment before: the refund voids its tickets.
    if (changed === 'cancelled') return refundLate(conn, p, 'event_cancelled');
    if (changed) metrics.completed(changed.amount);
    return changed ?? reload(conn, p.id);
  }

  /**
   * An approval that came too late for its hold, or for an event cancelled meanwhile: refunded in full, the
   * customer is told by the event (a cancellation's refund reads like the cancellation refunder's).
   */
  async function refundLate(
    conn: Kysely<DB>,
    p: Payment,
    cause: 'late' | 'event_cancelled',
  ): Promise<Payment> {
    const refunds = await payments.refundsOf([p.id], conn);
    let refund = refunds.find((r) => r.status === 'REQUESTED');
    if (!refund) {
      const seats = await payments.seatsOf([p.id], conn);
      refund = {
        id: uuidv7(),
        paymentId: p.id,
        amount: p.amount,
        seatIds: seats.map((s) => s.seatId),
        fullRefund: true,
        reason: cause === 'late' ? LATE_REFUND_REASON : `${EVENT_CANCELLED_REASON}.`,
        status: 'REQUESTED',
        lateApproval: cause === 'late',
        requestedBy: null,
        requestId: null,
        transactionKey: null,
        failureCode: null,
        createdAt: deps.now(),
        completedAt: null,
      };
      await payments.insertRefund(conn, refund);
    }
    return executeRefund(conn, p, refund);
  }

  /**
   * Plans the refund against the seats as they stand now (the caller holds the lock), records it as asked
   * (REQUESTED) before Toss hears of it, then carries it out. `requestedBy` is null when the platform
   * itself refunds (a cancelled event); `requestId` names the Idempotency-Key request that asked for it.
   */
  async function refund(
    conn: Kysely<DB>,
    p: Payment,
    request: RefundRequest,
    reason: string,
    requestedBy: string | null,
    requestId: string | null = null,
  ): Promise<Payment> {
    const seats = await payments.seatsOf([p.id], conn);
    const plan = planRefund(
      p,
      seats.map((s) => ({ seatId: s.seatId, price: s.price, refunded: s.refundId !== null })),
      request,
    );
    const row: Refund = {
      id: uuidv7(),
      paymentId: p.id,
      amount: plan.amount,
      seatIds: plan.seatIds,
      fullRefund: plan.full,
      reason,
      status: 'REQUESTED',
      lateApproval: false,
      requestedBy,
      requestId,
      transactionKey: null,
      failureCode: null,
      createdAt: deps.now(),
      completedAt: null,
    };
    await payments.insertRefund(conn, row);
    return executeRefund(conn, p, row);
  }

  /** A refund asked for before under the same request: finished if Toss's answer is missing, else as it ended. */
  async function resumeRefund(conn: Kysely<DB>, p: Payment, r: Refund): Promise<Payment> {
    if (r.status === 'REQUESTED') return executeRefund(conn, p, r);
    if (r.status === 'FAILED') {
      throw problems.conflict('REFUND_REFUSED', 'Toss refused the refund.', { tossCode: r.failureCode });
    }
    return p;
  }

  /**
   * Cancels at Toss with a key per refund and the balance we expect, so a repeat never refunds twice: when
   * Toss's balance already shows this refund (an earlier answer was lost) it is recorded as done.
   */
  async function executeRefund(conn: Kysely<DB>, p: Payment, r: Refund): Promise<Payment> {
    if (!p.paymentKey) throw new Error(`payment ${p.id} has no Toss payment key to refund`);
    const remaining = p.amount - p.refundedAmount;
    let tp: TossPayment;
    try {
      tp = await toss.cancel(
        p.paymentKey,
        {
          cancelReason: r.reason.slice(0, 200),
          ...(r.fullRefund ? {} : { cancelAmount: r.amount }),
          refundableAmount: remaining,
        },
        { idempotencyKey: refundKey(r.id) },
      );
    } catch (error) {
      if (isRetryable(error)) {
        throw new HttpProblem(
          503,
          'REFUND_PENDING',
          'Toss has not answered yet; the refund will be retried.',
          {
            cause: error,
          },
        );
      }
      if (!(error instanceof TossError)) throw error;
      const current = await toss.getPayment(p.paymentKey);
      if (current.balanceAmount === remaining - r.amount) {
        tp = current;
      } else {
        if (isAlreadyCanceled(error) || isNotFound(error)) {
          logger.error({ paymentId: p.id, code: error.code }, 'refund refused: Toss and our books disagree');
        }
        await payments.finishRefund(conn, r.id, { status: 'FAILED', failureCode: error.code });
        throw problems.conflict('REFUND_REFUSED', `Toss refused the refund: ${error.tossMessage}`, {
          tossCode: error.code,
        });
      }
    }
    return recordRefund(conn, p, r, tp.lastTransactionKey ?? null);
  }

  async function recordRefund(
    conn: Kysely<DB>,
    p: Payment,
    r: Refund,
    transactionKey: string | null,
  ): Promise<Payment> {
    const row = await conn.transaction().execute(async (trx) => {
      await payments.finishRefund(trx, r.id, { status: 'DONE', transactionKey });
      const refundedAmount = p.refundedAmount + r.amount;
      const status: PaymentStatus =
        refundedAmount >= p.amount || r.fullRefund ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
      const updated = await payments.update(trx, p.id, { refundedAmount, status });
      await payments.markSeatsRefunded(trx, p.id, r.fullRefund ? 'all' : r.seatIds, r.id);
      // The labels and the event's standing areas let the mail say "Floor standing × 2", not "2 seats".
      const labels = new Map((await payments.seatsOf([p.id], trx)).map((s) => [s.seatId, s.label]));
      const seatLabels = r.seatIds.flatMap((id) => labels.get(id) ?? []);
      const standingAreas = await schedule.standingAreas(p.eventId, trx);
      await publishInTransaction(trx, 'payment.refunded', {
        paymentId: p.id,
        orderId: p.orderId,
        reservationId: p.reservationId,
        eventId: p.eventId,
        userId: p.userId,
        amount: r.amount,
        totalRefunded: refundedAmount,
        seatIds: r.seatIds,
        // A refund is planned against the payment's seats, so each has its label; were one missing, the
        // labels would no longer line up with seatIds. Labels go only with the areas that tell places from
        // seats: without them the mail counts seats rather than print a place's internal label.
        ...(standingAreas && seatLabels.length === r.seatIds.length ? { seatLabels, standingAreas } : {}),
        full: r.fullRefund,
        reason: r.reason,
        lateApproval: r.lateApproval,
        // Told from the stored refund, not passed down, so one finished after a crash (by the next pass or by
        // reconciliation) still says why. Only the platform refunds without a requester, so a buyer's reason
        // that happens to read the same is never taken for it.
        cause:
          r.requestedBy === null && r.reason.startsWith(EVENT_CANCELLED_REASON)
            ? 'event_cancelled'
            : undefined,
      });
      return updated;
    });
    metrics.refunded();
    return row ?? reload(conn, p.id);
  }

  /**
   * Brings an open payment in line with what Toss says (webhook, reconciliation, a lost confirm answer).
   * `confirmAuthorized`: the customer asked us to confirm, so an authenticated payment may be approved.
   */
  async function settleWith(
    conn: Kysely<DB>,
    p: Payment,
    tp: TossPayment | undefined,
    options: { confirmAuthorized?: boolean } = {},
  ): Promise<Payment> {
    if (!UNSETTLED.includes(p.status)) return p;
    if (p.approvedAt) return finishApproved(conn, p);
    if (!tp) {
      // Toss never heard of this order (its creation failed or was never tried).
      if (p.holdExpiresAt <= deps.now()) {
        return fail(conn, p, 'EXPIRED', 'CHECKOUT_EXPIRED', 'The checkout was not completed in time.');
      }
      return p;
    }
    if (tp.orderId !== p.orderId || tp.totalAmount !== p.amount) {
      logger.error({ paymentId: p.id, orderId: tp.orderId }, 'Toss payment does not match ours; left alone');
      return p;
    }
    switch (tp.status) {
      case 'DONE':
        return finishApproved(conn, await recordApproval(conn, p, tp));
      case 'IN_PROGRESS':
        if (options.confirmAuthorized || p.status === 'IN_PROGRESS') return approve(conn, p, tp.paymentKey);
        return p;
      case 'ABORTED':
        return fail(
          conn,
          p,
          'FAILED',
          tp.failure?.code ?? 'ABORTED',
          tp.failure?.message ?? 'The payment was abandoned.',
        );
      case 'EXPIRED':
        return fail(conn, p, 'EXPIRED', 'CONFIRM_WINDOW_EXPIRED', 'The payment was not confirmed in time.');
      case 'CANCELED':
        return fail(conn, p, 'FAILED', 'CANCELED_AT_TOSS', 'The payment was cancelled at Toss.');
      case 'READY':
        if (p.holdExpiresAt <= deps.now()) {
          return fail(conn, p, 'EXPIRED', 'CHECKOUT_EXPIRED', 'The checkout was not completed in time.');
        }
        return p;
      default:
        logger.error({ paymentId: p.id, tossStatus: tp.status }, 'open payment in an unexpected Toss state');
        return p;
    }
  }

  /**
   * A settled payment whose money Toss shows differently (a cancel made in Toss's console, or our own
   * refund whose answer was lost): finish our pending refund, or record a full cancel made elsewhere.
   */
  async function syncRefunds(conn: Kysely<DB>, p: Payment, tp: TossPayment): Promise<Payment> {
    if (p.status !== 'COMPLETED' && p.status !== 'PARTIALLY_REFUNDED') return p;
    const expected = p.amount - p.refundedAmount;
    if (tp.balanceAmount >= expected) return p;
    const pending = (await payments.refundsOf([p.id], conn)).find((r) => r.status === 'REQUESTED');
    if (pending) return executeRefund(conn, p, pending);
    if (tp.balanceAmount === 0) {
      const seats = await payments.seatsOf([p.id], conn);
      const row: Refund = {
        id: uuidv7(),
        paymentId: p.id,
        amount: expected,
        seatIds: seats.filter((s) => !s.refundId).map((s) => s.seatId),
        fullRefund: true,
        reason: 'Cancelled at Toss',
        status: 'REQUESTED',
        lateApproval: false,
        requestedBy: null,
        requestId: null,
        transactionKey: null,
        failureCode: null,
        createdAt: deps.now(),
        completedAt: null,
      };
      await payments.insertRefund(conn, row);
      return recordRefund(conn, p, row, tp.lastTransactionKey ?? null);
    }
    logger.error(
      { paymentId: p.id, tossBalance: tp.balanceAmount, ourBalance: expected },
      'partial cancel made outside Tiketi: an operator must record which seats it covers',
    );
    return p;
  }

  return {
    reload,
    fail,
    approve,
    finishApproved,
    refund,
    resumeRefund,
    executeRefund,
    settleWith,
    syncRefunds,
  };
}

export type Settlement = ReturnType<typeof settlement>;
