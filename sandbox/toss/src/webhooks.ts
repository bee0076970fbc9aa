import { randomUUID } from 'node:crypto';
import type { Logger } from '@tiketi/kit';
import { PAYMENT_STATUS_CHANGED, type TossPayment } from '@tiketi/toss';

export type WebhookAttempt = {
  deliveryId: string;
  paymentKey: string;
  status: TossPayment['status'];
  attempt: number;
  /** HTTP status of the receiver's answer, or undefined when it did not answer. */
  responseStatus: number | undefined;
  error: string | undefined;
  at: string;
};

export type WebhookOptions = {
  url: () => string | undefined;
  /** Delay before each retry; Toss retries non-200 answers for days, tests want milliseconds. */
  retryDelaysMs: number[];
  timeoutMs: number;
  logger: Logger;
};

/**
 * Delivers PAYMENT_STATUS_CHANGED like Toss: a POST of `{eventType, createdAt, data: Payment}`, unsigned,
 * retried with growing delays until the receiver answers 200.
 */
export function createWebhookSender(options: WebhookOptions) {
  const attempts: WebhookAttempt[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  let closed = false;

  async function attempt(deliveryId: string, url: string, payment: TossPayment, n: number): Promise<void> {
    const body = { eventType: PAYMENT_STATUS_CHANGED, createdAt: new Date().toISOString(), data: payment };
    let responseStatus: number | undefined;
    let error: string | undefined;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      responseStatus = res.status;
      await res.body?.cancel();
    } catch (e) {
      error = (e as Error).message;
    }
    attempts.push({
      deliveryId,
      paymentKey: payment.paymentKey,
      status: payment.status,
      attempt: n,
      responseStatus,
      error,
      at: new Date().toISOString(),
    });
    if (responseStatus === 200) return;
    const delay = options.retryDelaysMs[n - 1];
    if (delay === undefined || closed) {
      options.logger.warn({ paymentKey: payment.paymentKey, attempts: n }, 'webhook given up');
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      track(attempt(deliveryId, url, payment, n + 1));
    }, delay);
    timers.add(timer);
  }

  function track(p: Promise<void>) {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }

  return {
    send(payment: TossPayment): void {
      const url = options.url();
      if (!url || closed) return;
      track(attempt(randomUUID(), url, payment, 1));
    },
    attempts(): WebhookAttempt[] {
      return attempts.map((a) => ({ ...a }));
    },
    async close(): Promise<void> {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...inFlight]);
    },
  };
}

export type WebhookSender = ReturnType<typeof createWebhookSender>;
