import { z } from 'zod';
import { canonicalId } from './ids.ts';

/**
 * The payment service's public API (`/api/payments/...`): Toss checkout (request → pay at Toss →
 * confirm), the customer's cancellation, admin refunds and reads.
 */

export const paymentStatus = z.enum([
  'PENDING',
  'IN_PROGRESS',
  'COMPLETED',
  'PARTIALLY_REFUNDED',
  'REFUNDED',
  'FAILED',
  'EXPIRED',
]);
export type PaymentStatus = z.infer<typeof paymentStatus>;

/**
 * The least an order may come to and still be paid online: Toss refuses card payments under 100 KRW
 * (`BELOW_MINIMUM_AMOUNT`), and there are no free orders. A voucher that would leave less is refused.
 */
export const MIN_PAYMENT_KRW = 100;

const krw = z.number().int().nonnegative();
const isoTime = z.iso.datetime({ offset: true });

export const customerInfo = z.object({
  name: z.string().trim().min(1).max(100),
  email: z.email().max(200),
  /** Digits, optionally with dashes or spaces (010-1234-5678). */
  phone: z
    .string()
    .trim()
    .regex(/^\+?[0-9][0-9 -]{6,18}[0-9]$/, 'must be a phone number')
    .optional(),
});

/** `POST /api/payments/toss/request`: the client's amount must equal the reservation's. */
export const tossPaymentRequest = z.object({
  reservationId: canonicalId(),
  amount: krw,
  customerInfo,
});
export const tossPaymentRequestResponse = z.object({
  paymentId: canonicalId(),
  orderId: z.string(),
  amount: krw,
  /** Toss's checkout page for this order. */
  paymentUrl: z.string(),
  /** The hold lasts until then unless the payment completes. */
  holdExpiresAt: isoTime,
});

/**
 * `GET /api/payments/toss/rules`: what opening Toss's checkout does to the hold, said to the fan before they
 * open it. The hold then lasts `paymentWindowSeconds` from that moment (never past the reservation's ceiling).
 */
export const tossCheckoutRules = z.object({
  paymentWindowSeconds: z.number().int().positive(),
  /** How long before the event starts a buyer may still cancel and be refunded. */
  cancelDeadlineHours: z.number().int().nonnegative(),
});
export type TossCheckoutRules = z.infer<typeof tossCheckoutRules>;

/** `POST /api/payments/toss/confirm`: what Toss appended to the success URL. */
export const tossConfirmRequest = z.object({
  paymentKey: z.string().min(1).max(200),
  orderId: z.string().min(6).max(64),
  amount: krw,
});

/** `POST /api/payments/:id/cancel` (the customer, before the deadline): everything, or some seats. */
export const paymentCancelRequest = z.object({
  reason: z.string().trim().min(1).max(200),
  seatIds: z.array(canonicalId()).min(1).max(50).optional(),
});

/** `POST /api/payments/:id/refund` (admin) takes `adminRefundRequest` from admin.ts. */

export const refundDto = z.object({
  id: canonicalId(),
  amount: krw,
  seatIds: z.array(canonicalId()),
  full: z.boolean(),
  reason: z.string(),
  status: z.enum(['REQUESTED', 'DONE', 'FAILED']),
  lateApproval: z.boolean(),
  createdAt: isoTime,
  completedAt: isoTime.nullable(),
});

export const paymentDto = z.object({
  id: canonicalId(),
  orderId: z.string(),
  reservationId: canonicalId(),
  eventId: canonicalId(),
  userId: canonicalId(),
  orderName: z.string(),
  amount: krw,
  refundedAmount: krw,
  status: paymentStatus,
  method: z.string().nullable(),
  /** Toss's receipt page, once the payment is approved. */
  receiptUrl: z.string().nullable(),
  paymentUrl: z.string().nullable(),
  failure: z.object({ code: z.string(), message: z.string() }).nullable(),
  seats: z.array(z.object({ id: canonicalId(), label: z.string(), price: krw, refunded: z.boolean() })),
  refunds: z.array(refundDto),
  holdExpiresAt: isoTime,
  approvedAt: isoTime.nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
});
export type PaymentDto = z.infer<typeof paymentDto>;
