import { type Logger, type Metrics, periodicJob } from '@tiketi/kit';
import { isNotFound, type TossClient, type TossPayment } from '@tiketi/toss';
import { type PaymentRepository, UNSETTLED } from '../db/payment.repository.ts';
import { reportLeftForLater } from './left-for-later.ts';
import type { Settlement } from './settlement.ts';

export type ReconcilerDeps = {
  payments: PaymentRepository;
  toss: TossClient;
  settle: Settlement;
  logger: Logger;
  metrics?: Metrics;
  now: () => Date;
  intervalMs: number;
  afterMs: number;
  batchSize: number;
};

/**
 * Compares payments left open (PENDING, IN_PROGRESS) and refunds left REQUESTED with Toss and settles them:
 * the safety net under a crash, a lost answer or a missed webhook. Each payment is taken with its lock
 * without waiting, so several instances share the work and never touch a payment someone is working on.
 */
export function reconciler(deps: ReconcilerDeps) {
  const { payments, toss, settle, logger } = deps;

  async function lookup(orderId: string, paymentKey: string | null): Promise<TossPayment | undefined> {
    try {
      return paymentKey ? await toss.getPayment(paymentKey) : await toss.getPaymentByOrderId(orderId);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async function settleOne(id: string, before: Date): Promise<boolean> {
    const done = await payments.withLock(id, { wait: false }, async (conn) => {
      const p = await settle.reload(conn, id);
      if (!UNSETTLED.includes(p.status) || p.updatedAt >= before) return false;
      const tp = p.approvedAt ? undefined : await lookup(p.orderId, p.paymentKey);
      const after = await settle.settleWith(conn, p, tp);
      return after.status !== p.status;
    });
    return done?.value ?? false;
  }

  async function retryRefund(paymentId: string, refundId: string): Promise<boolean> {
    const done = await payments.withLock(paymentId, { wait: false }, async (conn) => {
      const refund = await payments.findRefund(refundId, conn);
      if (refund?.status !== 'REQUESTED') return false;
      const p = await settle.reload(conn, paymentId);
      await settle.executeRefund(conn, p, refund);
      return true;
    });
    return done?.value ?? false;
  }

  /** One pass; answers how many payments and refunds it settled. */
  async function runOnce(): Promise<number> {
    const before = new Date(deps.now().getTime() - deps.afterMs);
    let settled = 0;
    for (const id of await payments.unsettledIds(before, deps.batchSize)) {
      try {
        if (await settleOne(id, before)) settled++;
      } catch (error) {
        report(error, { paymentId: id });
      }
    }
    for (const refund of await payments.requestedRefunds(before, deps.batchSize)) {
      try {
        if (await retryRefund(refund.paymentId, refund.id)) settled++;
      } catch (error) {
        report(error, { paymentId: refund.paymentId, refundId: refund.id });
      }
    }
    return settled;
  }

  function report(error: unknown, ids: Record<string, string>) {
    reportLeftForLater(logger, 'reconciliation left a payment for later', error, ids);
  }

  const job = periodicJob({
    name: 'reconciliation',
    pass: runOnce,
    intervalMs: deps.intervalMs,
    logger,
    metrics: deps.metrics,
  });

  return { runOnce, start: job.start, stop: job.stop };
}

export type Reconciler = ReturnType<typeof reconciler>;
