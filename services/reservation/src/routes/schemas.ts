import { reservationStatus } from '@tiketi/contracts';
import { isoDateTime } from '@tiketi/kit';
import { z } from 'zod';

export const seatStatus = z.enum(['available', 'held', 'sold']);

export const seatMapResponse = z.object({
  eventId: z.uuid(),
  counts: z.object({ available: z.number(), held: z.number(), sold: z.number() }),
  seats: z.array(
    z.object({
      id: z.uuid(),
      label: z.string(),
      section: z.string(),
      row: z.string(),
      number: z.number().int(),
      x: z.number(),
      y: z.number(),
      tierId: z.uuid(),
      price: z.number().int(),
      status: seatStatus,
    }),
  ),
});

export const reservationView = z.object({
  id: z.uuid(),
  eventId: z.uuid(),
  userId: z.uuid(),
  status: reservationStatus,
  amount: z.number().int(),
  expiresAt: isoDateTime(),
  createdAt: isoDateTime(),
  confirmedAt: isoDateTime().nullable(),
  seats: z.array(z.object({ id: z.uuid(), label: z.string(), price: z.number().int() })),
});

export const ticketStatus = z.enum(['ISSUED', 'USED', 'VOIDED']);

export const ticketView = z.object({
  id: z.uuid(),
  reservationId: z.uuid(),
  eventId: z.uuid(),
  seatId: z.uuid(),
  seatLabel: z.string(),
  status: ticketStatus,
  issuedAt: isoDateTime(),
  usedAt: isoDateTime().nullable(),
});

export const idParams = z.object({ id: z.uuid() });
