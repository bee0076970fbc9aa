import { type Logger, type Metrics, periodicJob } from '@tiketi/kit';
import type { EventScheduleRepository } from '../db/event-schedule.repository.ts';
import { type PaymentRepository, REFUNDABLE } from '../db/payment.repository.ts';
import { reportLeftForLater } from './left-for-later.ts';
import { EVENT_CANCELLED_REASON, type Settlement } from './settlement.ts';

export type CancellationRefundsDeps = {
  payments: PaymentRepository;
  schedule: EventScheduleRepository;
  settle: Settlement;
  logger: Logger;
  metrics?: Metrics;
  intervalMs: number;
  batchSize: number;
};

function cancellationRefundReason(eventReason: string | null): string {
  return eventReason ? `${EVENT_CANCELLED_REASON}: ${eventReason}` : `${EVENT_CANCELLED_REASON}.`;
}

/**
 * Gives the money back for an event that will not happen: every paid payment of a cancelled event is
 * refunded in full through the settlement's refund (a REQUESTED row before Toss is called, a key per
 * refund, `payment.refunded` through the outbox), one payment at a time under its lock, a page of payments
 * at a time. Nothing here remembers progress: a payment refunded is no longer refundable, so a pass after a
 * crash, a redelivered cancellation or a second instance finds only what is left. Woken by the
 * cancellation, at start, and every `intervalMs` for approvals that completed after the cancellation.
 */
export function cancellationRefunds(deps: CancellationRefundsDeps) {
  const { payments, schedule, settle, logger } = deps;

  async function refundOne(id: string, reason: string): Promise<boolean> {
    // Waits for the lock: its holder may be a confirm that completed the payment just before the
    // cancellation was recorded, and its money must go back now rather than on a later pass.
    const done = await payments.withLock(id, { wait: true }, async (conn) => {
      let p = await settle.reload(conn, id);
      if (!REFUNDABLE.includes(p.status)) return false;
      // A refund asked for before (by the buyer, or by a pass that crashed) whose Toss answer never came
      // is finished first, under its own key, so Toss never pays it out twice.
      const pending = (await payments.refundsOf([p.id], conn)).find((r) => r.status === 'REQUESTED');
      if (pending) p = await settle.executeRefund(conn, p, pending);
      if (REFUNDABLE.includes(p.status)) await settle.refund(conn, p, {}, reason, null);
      return true;
    });
    return done?.value ?? false;
  }

  /** One pass over every cancelled event; answers how many payments it refunded. */
  async function runOnce(): Promise<number> {
    let refunded = 0;
    for (const event of await schedule.cancelledWithPaidPayments()) {
      const reason = cancellationRefundReason(event.cancelReason);
      let after: string | undefined;
      for (;;) {
        const ids = await payments.refundableOfEvent(event.eventId, event.cancelledAt, after, deps.batchSize);
        for (const id of ids) {
          try {
            if (await refundOne(id, reason)) refunded++;
          } catch (error) {
            reportLeftForLater(logger, 'cancellation refund left for later', error, {
              eventId: event.eventId,
              paymentId: id,
            });
          }
        }
        if (ids.length < deps.batchSize) break;
        after = ids.at(-1);
      }
    }
    return refunded;
  }

  const job = periodicJob({
    name: 'cancellation refunds',
    pass: runOnce,
    intervalMs: deps.intervalMs,
    // Picks up a pass a crash or a restart interrupted.
    runAtStart: true,
    logger,
    metrics: deps.metrics,
  });

  return { runOnce, wake: job.wake, start: job.start, stop: job.stop };
}

export type CancellationRefunds = ReturnType<typeof cancellationRefunds>;
