import { z } from 'zod';

/**
 * Toss Payments wire shapes (API version 2022-11-16), reduced to what Tiketi reads. Objects are loose:
 * Toss adds fields over time and a new field must never break a payment in flight.
 */

export const tossPaymentStatus = z.enum([
  'READY',
  'IN_PROGRESS',
  'WAITING_FOR_DEPOSIT',
  'DONE',
  'CANCELED',
  'PARTIAL_CANCELED',
  'ABORTED',
  'EXPIRED',
]);
export type TossPaymentStatus = z.infer<typeof tossPaymentStatus>;

const amount = z.number().int().nonnegative();

export const tossCancel = z.looseObject({
  cancelAmount: amount,
  cancelReason: z.string(),
  canceledAt: z.string(),
  transactionKey: z.string(),
  cancelStatus: z.string().optional(),
  refundableAmount: amount.optional(),
  taxFreeAmount: amount.optional(),
});
export type TossCancel = z.infer<typeof tossCancel>;

export const tossPayment = z.looseObject({
  version: z.string().optional(),
  paymentKey: z.string().min(1),
  orderId: z.string().min(1),
  orderName: z.string(),
  status: tossPaymentStatus,
  /** Korean label as Toss sends it ("카드", "간편결제"…); null until the customer chose one. */
  method: z.string().nullish(),
  totalAmount: amount,
  balanceAmount: amount,
  suppliedAmount: amount.optional(),
  vat: amount.optional(),
  currency: z.string().default('KRW'),
  requestedAt: z.string(),
  approvedAt: z.string().nullish(),
  lastTransactionKey: z.string().nullish(),
  cancels: z.array(tossCancel).nullish(),
  card: z
    .looseObject({
      company: z.string().optional(),
      number: z.string().optional(),
      approveNo: z.string().optional(),
    })
    .nullish(),
  checkout: z.looseObject({ url: z.string() }).nullish(),
  receipt: z.looseObject({ url: z.string() }).nullish(),
  failure: z.looseObject({ code: z.string(), message: z.string() }).nullish(),
});
export type TossPayment = z.infer<typeof tossPayment>;

/** Every Toss error answer: `{code, message}`. */
export const tossErrorBody = z.looseObject({ code: z.string(), message: z.string() });

/** What Toss POSTs to the webhook URL when a payment's status changes; unsigned, so re-fetch before acting. */
export const tossWebhook = z.looseObject({
  eventType: z.string(),
  createdAt: z.string(),
  data: z.looseObject({ paymentKey: z.string().min(1), orderId: z.string(), status: z.string() }),
});
export type TossWebhook = z.infer<typeof tossWebhook>;

export const PAYMENT_STATUS_CHANGED = 'PAYMENT_STATUS_CHANGED';

/** Toss accepts order ids of 6–64 characters: letters, digits, `-` and `_`. */
export const tossOrderId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{6,64}$/, 'orderId must be 6–64 characters of letters, digits, - and _');

export const createPaymentRequest = z.object({
  /** Toss accepts the English code or the Korean label. */
  method: z.string().default('CARD'),
  amount: z.number().int().positive(),
  orderId: tossOrderId,
  orderName: z.string().min(1).max(100),
  successUrl: z.url(),
  failUrl: z.url(),
  customerEmail: z.email().optional(),
  customerName: z.string().max(100).optional(),
  customerMobilePhone: z.string().optional(),
});
export type CreatePaymentRequest = z.input<typeof createPaymentRequest>;

export const confirmPaymentRequest = z.object({
  paymentKey: z.string().min(1).max(200),
  orderId: tossOrderId,
  amount: z.number().int().positive(),
});
export type ConfirmPaymentRequest = z.infer<typeof confirmPaymentRequest>;

export const cancelPaymentRequest = z.object({
  cancelReason: z.string().min(1).max(200),
  /** Omit to cancel everything left; otherwise a partial cancel of this many won. */
  cancelAmount: z.number().int().positive().optional(),
  /** What the caller believes is still refundable; Toss refuses the cancel when it disagrees. */
  refundableAmount: z.number().int().nonnegative().optional(),
});
export type CancelPaymentRequest = z.infer<typeof cancelPaymentRequest>;
