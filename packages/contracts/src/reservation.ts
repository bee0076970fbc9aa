import { z } from 'zod';

export const reservationStatus = z.enum(['PENDING', 'CONFIRMED', 'EXPIRED', 'CANCELLED', 'REFUNDED']);
export type ReservationStatus = z.infer<typeof reservationStatus>;

/**
 * The reservation as the payment service sees it over the internal API
 * (`GET /internal/reservations/:id` on the reservation service).
 */
export const internalReservation = z.object({
  id: z.uuid(),
  userId: z.uuid(),
  eventId: z.uuid(),
  status: reservationStatus,
  amount: z.number().int().nonnegative(),
  expiresAt: z.iso.datetime({ offset: true }),
  seats: z.array(z.object({ id: z.uuid(), label: z.string(), price: z.number().int().nonnegative() })),
});
export type InternalReservation = z.infer<typeof internalReservation>;

/**
 * `POST /internal/reservations/:id/extend {seconds}` keeps a PENDING hold alive while its payment is in
 * progress; the reservation service caps the total hold at its own hard ceiling and answers the new expiry.
 */
export const extendHoldRequest = z.object({ seconds: z.number().int().positive().max(1800) });
export const extendHoldResponse = z.object({ expiresAt: z.iso.datetime({ offset: true }) });

/** Internal routes live under this prefix; the gateway never routes it, and it needs the internal token. */
export const INTERNAL_PREFIX = '/internal';
export const INTERNAL_TOKEN_HEADER = 'x-internal-token';
