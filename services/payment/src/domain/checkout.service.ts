import { WEB_PAGES } from '@tiketi/contracts';
import {
  type AuthUser,
  HttpProblem,
  isUniqueViolation,
  type Kysely,
  type Logger,
  problems,
} from '@tiketi/kit';
import {
  isNotFound,
  isRetryable,
  PAYMENT_STATUS_CHANGED,
  type TossClient,
  TossError,
  type TossPayment,
  tossWebhook,
} from '@tiketi/toss';
import { v7 as uuidv7 } from 'uuid';
import type { ReservationClient } from '../clients/reservation.client.ts';
import type { EventScheduleRepository } from '../db/event-schedule.repository.ts';
import { type Payment, type PaymentRepository, paymentBusy, UNSETTLED } from '../db/payment.repository.ts';
import type { DB } from '../db/schema.ts';
import {
  amountMismatch,
  assertAmount,
  assertPayableOnline,
  orderIdFor,
  orderNameFor,
  tossPhone,
} from './payment-rules.ts';
import { EVENT_CANCELLED, type Settlement } from './settlement.ts';

export type CheckoutDeps = {
  db: Kysely<DB>;
  payments: PaymentRepository;
  schedule: EventScheduleRepository;
  toss: TossClient;
  reservations: ReservationClient;
  settle: Settlement;
  logger: Logger;
  now: () => Date;
  rules: { webOrigin: string; paymentWindowSeconds: number };
};

/** The failure of a checkout authenticated at Toss but never confirmed, ended when the fan paid anew. */
export const CHECKOUT_REPLACED = 'CHECKOUT_REPLACED';

export type CheckoutRequest = {
  reservationId: string;
  amount: number;
  customerInfo: { name: string; email: string; phone?: string | undefined };
};

export type CheckoutAnswer = {
  paymentId: string;
  orderId: string;
  amount: number;
  paymentUrl: string;
  holdExpiresAt: Date;
};

/** The Toss checkout: request (open a Toss payment), confirm (approve it), and Toss's webhook. */
export function checkoutService(deps: CheckoutDeps) {
  const { db, payments, schedule, toss, reservations, settle, logger, now, rules } = deps;

  function answer(p: Payment): CheckoutAnswer {
    if (!p.checkoutUrl) throw new Error(`payment ${p.id} has no checkout URL`);
    return {
      paymentId: p.id,
      orderId: p.orderId,
      amount: p.amount,
      paymentUrl: p.checkoutUrl,
      holdExpiresAt: p.holdExpiresAt,
    };
  }

  /** Opens the Toss payment for our row (again, harmlessly, when an earlier attempt lost its answer). */
  async function openAtToss(p: Payment): Promise<Payment> {
    const url = (path: string) => new URL(path, rules.webOrigin).toString();
    let created: TossPayment;
    try {
      created = await toss.createPayment(
        {
          method: 'CARD',
          amount: p.amount,
          orderId: p.orderId,
          orderName: p.orderName,
          successUrl: url(WEB_PAGES.paymentSuccess),
          failUrl: url(WEB_PAGES.paymentFail),
          customerEmail: p.customerEmail,
          customerName: p.customerName,
          customerMobilePhone: tossPhone(p.customerPhone),
        },
        { idempotencyKey: `create-${p.orderId}` },
      );
    } catch (error) {
      if (isRetryable(error) || !(error instanceof TossError)) {
        throw problems.unavailable('Toss Payments is not answering; please try again.', error);
      }
      await settle.fail(db, p, 'FAILED', error.code, error.tossMessage);
      throw problems.unprocessable('PAYMENT_REFUSED', `Toss refused the payment: ${error.tossMessage}`, {
        tossCode: error.code,
      });
    }
    const checkoutUrl = created.checkout?.url;
    if (!checkoutUrl) throw problems.unavailable('Toss did not give a checkout page for the payment.');
    return (await payments.update(db, p.id, { checkoutUrl })) ?? p;
  }

  async function assertNotCancelled(eventId: string): Promise<void> {
    if (await schedule.cancelledAt(eventId)) {
      throw problems.conflict(
        EVENT_CANCELLED,
        'The event was cancelled; its seats can no longer be paid for.',
      );
    }
  }

  /** The open checkout of a reservation, if it can still be used by this caller for this amount. */
  async function reuse(caller: AuthUser, request: CheckoutRequest): Promise<CheckoutAnswer | undefined> {
    const open = await payments.findOpenByReservation(request.reservationId);
    if (!open) return undefined;
    if (open.userId !== caller.id) throw problems.notFound('The reservation');
    await assertNotCancelled(open.eventId);
    assertAmount(request.amount, open.amount);
    if (open.status === 'IN_PROGRESS') {
      throw problems.conflict('PAYMENT_IN_PROGRESS', 'This reservation is being paid for right now.', {
        orderId: open.orderId,
      });
    }
    if (open.holdExpiresAt <= now()) {
      await payments.update(db, open.id, { status: 'EXPIRED', failureCode: 'CHECKOUT_EXPIRED' }, ['PENDING']);
      return undefined;
    }
    if (open.checkoutUrl && (await endedAtToss(open))) return undefined;
    return answer(open.checkoutUrl ? open : await openAtToss(open));
  }

  /**
   * A checkout the fan gave up at Toss (or that expired there) can never be paid: it is ended here and now,
   * as Toss's webhook would end it, so another try opens a new payment instead of that dead checkout page.
   * So is one the fan got through at Toss whose confirm never came (an address with another amount or key,
   * a closed tab): Toss will not show its page again, and since we never asked Toss to approve it, nothing
   * was charged. It is ended before the new one opens, so a confirm for it that comes later charges nothing.
   */
  async function endedAtToss(p: Payment): Promise<boolean> {
    let tp: TossPayment;
    try {
      tp = await toss.getPaymentByOrderId(p.orderId);
    } catch (error) {
      if (isNotFound(error)) return false;
      if (isRetryable(error) || !(error instanceof TossError)) {
        throw problems.unavailable('Toss Payments is not answering; please try again.', error);
      }
      throw error;
    }
    if (tp.status === 'ABORTED' || tp.status === 'EXPIRED') {
      await payments.withLock(p.id, { wait: true }, async (conn) =>
        settle.settleWith(conn, await settle.reload(conn, p.id), tp),
      );
      return true;
    }
    if (tp.status !== 'IN_PROGRESS') return false;
    const locked = await payments.withLock(p.id, { wait: true }, async (conn) => {
      const current = await settle.reload(conn, p.id);
      // A confirm that got the lock first owns the payment now: its outcome stands.
      if (current.status !== 'PENDING') return current.status;
      await settle.fail(
        conn,
        current,
        'FAILED',
        CHECKOUT_REPLACED,
        'A new payment was opened for these seats, so this one was not charged.',
      );
      return 'FAILED';
    });
    if (locked?.value === 'IN_PROGRESS') {
      throw problems.conflict('PAYMENT_IN_PROGRESS', 'This reservation is being paid for right now.', {
        orderId: p.orderId,
      });
    }
    return true;
  }

  return {
    /**
     * Checks the reservation with its owner (PENDING, hold not over) and the amount against the server's,
     * keeps the hold for the payment window, records the payment and opens it at Toss. While a checkout is
     * open for the reservation the same one is answered again.
     */
    async request(caller: AuthUser, request: CheckoutRequest): Promise<CheckoutAnswer> {
      const reused = await reuse(caller, request);
      if (reused) return reused;
      const r = await reservations.get(request.reservationId);
      if (!r || r.userId !== caller.id) throw problems.notFound('The reservation');
      await assertNotCancelled(r.eventId);
      if (r.status !== 'PENDING') {
        throw problems.conflict(
          'RESERVATION_NOT_PENDING',
          `The reservation is ${r.status}, not awaiting payment.`,
        );
      }
      if (new Date(r.expiresAt) <= now()) {
        throw problems.conflict('HOLD_EXPIRED', 'The seat hold has ended; please choose seats again.');
      }
      assertAmount(request.amount, r.amount);
      assertPayableOnline(r.amount);
      // Fixes the amount read above, unless the fan changed the voucher since: then nothing is charged.
      const extension = await reservations.extend(r.id, rules.paymentWindowSeconds, r.amount);
      if (extension.kind === 'released') {
        throw problems.conflict('HOLD_EXPIRED', 'The seat hold has ended; please choose seats again.');
      }
      if (extension.kind === 'amount-changed') throw amountMismatch(request.amount, extension.amount);
      const holdExpiresAt = extension.expiresAt;
      const event = await schedule.find(r.eventId);
      const id = uuidv7();
      const payment = {
        id,
        orderId: orderIdFor(id),
        reservationId: r.id,
        eventId: r.eventId,
        userId: caller.id,
        amount: r.amount,
        status: 'PENDING' as const,
        orderName: orderNameFor(
          event?.title ?? undefined,
          r.seats.map((s) => s.label),
        ),
        customerName: request.customerInfo.name,
        customerEmail: request.customerInfo.email,
        customerPhone: request.customerInfo.phone ?? null,
        holdExpiresAt,
      };
      try {
        await db.transaction().execute((trx) =>
          payments.insert(
            trx,
            payment,
            r.seats.map((s) => ({ paymentId: id, seatId: s.id, label: s.label, price: s.price })),
          ),
        );
      } catch (error) {
        // A parallel request for the same reservation got there first: answer its checkout.
        if (isUniqueViolation(error, 'payments_one_open_per_reservation')) {
          const again = await reuse(caller, request);
          if (again) return again;
        }
        throw error;
      }
      const stored = await payments.findById(id);
      if (!stored) throw new Error(`payment ${id} vanished after insert`);
      return answer(await openAtToss(stored));
    },

    /**
     * Approves the payment the customer authenticated at Toss. Serialised per payment, with an
     * Idempotency-Key derived from the order: a double click, a retry or two tabs charge once and get the
     * same answer. The amount must be the order's.
     */
    async confirm(
      caller: AuthUser,
      request: { paymentKey: string; orderId: string; amount: number },
    ): Promise<Payment> {
      const found = await payments.findByOrderId(request.orderId);
      if (!found || found.userId !== caller.id) throw problems.notFound('The payment');
      assertAmount(request.amount, found.amount);
      const locked = await payments.withLock(found.id, { wait: true }, async (conn) => {
        let p = await settle.reload(conn, found.id);
        if (p.paymentKey && p.paymentKey !== request.paymentKey) {
          throw problems.conflict('PAYMENT_KEY_MISMATCH', 'This order was paid with another Toss payment.');
        }
        if (!UNSETTLED.includes(p.status)) return p;
        const wasPending = p.status === 'PENDING';
        if (wasPending) {
          // Not charging at all beats charging and refunding.
          if (p.holdExpiresAt <= now()) {
            return settle.fail(conn, p, 'EXPIRED', 'HOLD_EXPIRED', 'The seat hold ended before payment.');
          }
          if (await schedule.cancelledAt(p.eventId, conn)) {
            return settle.fail(
              conn,
              p,
              'FAILED',
              EVENT_CANCELLED,
              'The event was cancelled; nothing was charged.',
            );
          }
          // Seats given back while Toss's page was open may be someone else's by now: no charge for them.
          // (A hold that ran out meanwhile is the late approval's case: refunded in full if it is charged.)
          const held = await reservations.get(p.reservationId);
          if (held?.status === 'CANCELLED') {
            return settle.fail(
              conn,
              p,
              'EXPIRED',
              'RESERVATION_RELEASED',
              'You gave these seats back before paying, so nothing was charged; choose seats again to buy.',
            );
          }
          // The key is not written yet: it is only the caller's word until Toss approves it for this order.
          p =
            (await payments.update(conn, p.id, { status: 'IN_PROGRESS' }, ['PENDING'])) ??
            (await settle.reload(conn, p.id));
        }
        if (p.approvedAt) return settle.finishApproved(conn, p);
        try {
          return await settle.approve(conn, p, request.paymentKey);
        } catch (error) {
          // Someone else's key: this order stays payable with its own, as if the call never came.
          if (wasPending && error instanceof HttpProblem && error.code === 'PAYMENT_KEY_MISMATCH') {
            await payments.update(conn, p.id, { status: 'PENDING' }, ['IN_PROGRESS']);
          }
          throw error;
        }
      });
      if (!locked) throw new Error('waiting lock answered without a value');
      return locked.value;
    },

    /**
     * PAYMENT_STATUS_CHANGED from Toss. Unsigned, so the body only says which payment to look at: the
     * payment is fetched from Toss and our books follow what Toss says. Orders that are not ours are ignored
     * before Toss is asked anything (anyone may post here, and each question spends the merchant's quota),
     * as are payments Toss does not know (forgeries); repeats find nothing left to do.
     */
    async webhook(body: unknown): Promise<'applied' | 'ignored'> {
      const parsed = tossWebhook.safeParse(body);
      if (!parsed.success) throw problems.badRequest('Not a Toss webhook.');
      if (parsed.data.eventType !== PAYMENT_STATUS_CHANGED) return 'ignored';
      const claimed = await payments.findByOrderId(parsed.data.data.orderId);
      if (!claimed || (claimed.paymentKey && claimed.paymentKey !== parsed.data.data.paymentKey)) {
        logger.warn({ orderId: parsed.data.data.orderId }, 'webhook for a payment that is not ours');
        return 'ignored';
      }
      let tp: TossPayment;
      try {
        tp = await toss.getPayment(parsed.data.data.paymentKey);
      } catch (error) {
        if (isNotFound(error)) {
          logger.warn(
            { paymentKey: parsed.data.data.paymentKey },
            'webhook for a payment Toss does not know',
          );
          return 'ignored';
        }
        // Reconciliation will catch up with whatever this webhook was about.
        logger.warn({ err: (error as Error).message }, 'webhook: Toss lookup failed');
        return 'ignored';
      }
      // The order read above, if Toss says this payment is it (a webhook naming another order is not ours).
      const ours = tp.orderId === claimed.orderId ? claimed : undefined;
      if (!ours || (ours.paymentKey && ours.paymentKey !== tp.paymentKey)) {
        logger.warn({ orderId: tp.orderId }, 'webhook for a payment that is not ours');
        return 'ignored';
      }
      let done: { value: unknown } | undefined;
      try {
        done = await payments.withLock(ours.id, { wait: false }, async (conn) => {
          const p = await settle.reload(conn, ours.id);
          if (UNSETTLED.includes(p.status)) return settle.settleWith(conn, p, tp);
          return settle.syncRefunds(conn, p, tp);
        });
      } catch (error) {
        if (!(error instanceof HttpProblem)) throw error;
        logger.warn({ orderId: tp.orderId, code: error.code }, 'webhook left the payment for reconciliation');
        return 'applied';
      }
      // Being worked on (a confirm, a refund, reconciliation): Toss delivers the webhook again later.
      // Waiting here would hold a pooled connection per webhook, and a drop sends one for every confirm
      // while that confirm holds the lock.
      if (!done) throw paymentBusy();
      return 'applied';
    },
  };
}

export type CheckoutService = ReturnType<typeof checkoutService>;
