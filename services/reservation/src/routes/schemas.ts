import { canonicalId, reservationStatus } from '@tiketi/contracts';
import { isoDateTime } from '@tiketi/kit';
import { z } from 'zod';

export const seatStatus = z.enum(['available', 'held', 'sold']);

export const seatMapResponse = z.object({
  eventId: canonicalId(),
  counts: z.object({ available: z.number(), held: z.number(), sold: z.number() }),
  seats: z.array(
    z.object({
      id: canonicalId(),
      label: z.string(),
      section: z.string(),
      row: z.string(),
      number: z.number().int(),
      x: z.number(),
      y: z.number(),
      tierId: canonicalId(),
      price: z.number().int(),
      status: seatStatus,
    }),
  ),
});

export const reservationView = z.object({
  id: canonicalId(),
  eventId: canonicalId(),
  userId: canonicalId(),
  status: reservationStatus,
  amount: z.number().int(),
  expiresAt: isoDateTime(),
  createdAt: isoDateTime(),
  confirmedAt: isoDateTime().nullable(),
  seats: z.array(z.object({ id: canonicalId(), label: z.string(), price: z.number().int() })),
});

export const ticketStatus = z.enum(['ISSUED', 'USED', 'VOIDED']);

export const ticketView = z.object({
  id: canonicalId(),
  reservationId: canonicalId(),
  eventId: canonicalId(),
  seatId: canonicalId(),
  seatLabel: z.string(),
  /** The short code printed on the ticket, typed at the door when no camera reads the QR. */
  code: z.string(),
  status: ticketStatus,
  issuedAt: isoDateTime(),
  usedAt: isoDateTime().nullable(),
});

export const idParams = z.object({ id: canonicalId() });
