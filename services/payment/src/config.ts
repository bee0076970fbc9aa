import { env, internalTokenShape, serviceConfigShape } from '@tiketi/kit';
import { tossConfigShape } from '@tiketi/toss';
import type { z } from 'zod';

export const configShape = {
  ...serviceConfigShape,
  ...internalTokenShape,
  ...tossConfigShape,
  PORT: env.port(4004),
  DATABASE_NAME: env.string('payments_db'),
  /** Asked about reservations (owner, amount, hold) and told when a payment confirms one. */
  RESERVATION_SERVICE_URL: env.serviceUrl('reservation'),
  RESERVATION_SERVICE_TIMEOUT_MS: env.int(3000),
  /** The web app: Toss sends the customer back to its /payments/success and /payments/fail pages. */
  WEB_ORIGIN: env.url('http://localhost:3000'),
  /** How long the hold is extended for while the customer pays (Toss's confirm window is 10 minutes). */
  PAYMENT_WINDOW_SECONDS: env.int(600),
  /** How often unsettled payments and refunds are compared with Toss; 0 turns the job off. */
  RECONCILE_INTERVAL_MS: env.int(30_000),
  /** A payment or refund is left to its own request this long before reconciliation looks at it. */
  RECONCILE_AFTER_MS: env.int(60_000),
  RECONCILE_BATCH_SIZE: env.int(50),
  /**
   * How often cancelled events are looked at again for paid payments to refund (an approval that completed
   * after the cancellation, a refund Toss did not answer); a cancellation itself starts them at once.
   * 0 leaves only that start.
   */
  CANCELLED_EVENT_REFUND_INTERVAL_MS: env.int(60_000),
  /** Payments read per page while refunding a cancelled event. */
  CANCELLED_EVENT_REFUND_BATCH_SIZE: env.int(50),
  /** Customers may cancel until this long before the event starts; admins refund at any time. */
  CANCEL_DEADLINE_HOURS: env.int(24),
};

export type PaymentConfig = z.output<z.ZodObject<typeof configShape>>;
