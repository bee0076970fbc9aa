import { canonicalId, reservationStatus } from '@tiketi/contracts';
import { isoDateTime } from '@tiketi/kit';
import { z } from 'zod';

export const reservationView = z.object({
  id: canonicalId(),
  eventId: canonicalId(),
  userId: canonicalId(),
  status: reservationStatus,
  /** What is to be paid (or was paid): the seats' prices less `discount`. */
  amount: z.number().int(),
  discount: z.number().int(),
  voucherCode: z.string().nullable(),
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
  /** A standing place's area and entry number (입장 번호), given at confirmation; null for a seat. */
  entrySection: z.string().nullable().describe('The standing area of a standing place; null for a seat.'),
  entryNumber: z
    .number()
    .int()
    .nullable()
    .describe(
      'Entry number (입장 번호) of a standing place, given when the order is confirmed; null for a seat.',
    ),
  status: ticketStatus,
  issuedAt: isoDateTime(),
  usedAt: isoDateTime().nullable(),
});

export const idParams = z.object({ id: canonicalId() });
