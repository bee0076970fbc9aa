import type { Metrics } from '@tiketi/kit';

/** Business counters (names shared with the alert rules and dashboards under deploy/monitoring). */
export function paymentMetrics(metrics: Metrics) {
  const outcomes = metrics.counter(
    'tiketi_payments_total',
    'Payments by how they ended: completed, failed or refunded (a refund of any size counts once).',
    ['outcome'],
  );
  const sales = metrics.counter('tiketi_sales_amount_krw_total', 'Money taken by completed payments (KRW).');
  return {
    completed(amount: number) {
      outcomes.inc({ outcome: 'completed' });
      sales.inc(amount);
    },
    failed() {
      outcomes.inc({ outcome: 'failed' });
    },
    refunded() {
      outcomes.inc({ outcome: 'refunded' });
    },
  };
}

export type PaymentMetrics = ReturnType<typeof paymentMetrics>;
