import { z } from 'zod';
import { canonicalId } from './ids.ts';

export const reservationStatus = z.enum(['PENDING', 'CONFIRMED', 'EXPIRED', 'CANCELLED', 'REFUNDED']);
export type ReservationStatus = z.infer<typeof reservationStatus>;

/**
 * The reservation as the payment service sees it over the internal API
 * (`GET /internal/reservations/:id` on the reservation service).
 */
export const internalReservation = z.object({
  id: canonicalId(),
  userId: canonicalId(),
  eventId: canonicalId(),
  status: reservationStatus,
  amount: z.number().int().nonnegative(),
  expiresAt: z.iso.datetime({ offset: true }),
  seats: z.array(z.object({ id: canonicalId(), label: z.string(), price: z.number().int().nonnegative() })),
  /** Seats whose ticket was checked in at the door: the buyer can no longer give those back. */
  usedSeatIds: z.array(canonicalId()),
});
export type InternalReservation = z.infer<typeof internalReservation>;

/**
 * `POST /internal/reservations/:id/extend {seconds}` keeps a PENDING hold alive while its payment is in
 * progress; the reservation service caps the total hold at its own hard ceiling and answers the new expiry.
 */
export const extendHoldRequest = z.object({ seconds: z.number().int().positive().max(1800) });
export const extendHoldResponse = z.object({ expiresAt: z.iso.datetime({ offset: true }) });

/**
 * `POST /internal/reservations/:id/confirm {paymentId}`: the payment service confirms the reservation right
 * after Toss approves. Atomic and idempotent: PENDING (seats still held) becomes CONFIRMED and tickets are
 * issued; the same paymentId again answers the same result; a reservation whose hold was released answers
 * 409 `HOLD_RELEASED` and the payment must be refunded. The reservation service also consumes
 * `payment.completed` with the same rule, so a confirmation survives the call failing.
 */
export const confirmReservationRequest = z.object({ paymentId: canonicalId() });
export const confirmReservationResponse = z.object({
  status: z.literal('CONFIRMED'),
  tickets: z.array(z.object({ id: canonicalId(), seatId: canonicalId(), seatLabel: z.string() })),
});

/** Internal routes live under this prefix; the gateway never routes it, and it needs the internal token. */
export const INTERNAL_PREFIX = '/internal';
export const INTERNAL_TOKEN_HEADER = 'x-internal-token';
