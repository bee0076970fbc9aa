import { z } from 'zod';
import { canonicalId } from './ids.ts';
import { reservationStatus } from './reservation.ts';

/**
 * One event's sales as the reservation service counts them (`GET /internal/events/:id/report`), which
 * the admin service adds to `GET /api/admin/events/:id/sales` and turns into the CSV exports. Days are
 * Asia/Seoul days; amounts are KRW paid (seat prices less vouchers).
 */

const isoTime = z.iso.datetime({ offset: true });
const krw = z.number().int();

export const salesReport = z.object({
  /** Per price tier: seats sold now (refunded seats are available again), held now, and what they paid. */
  tiers: z.array(
    z.object({
      tierId: canonicalId(),
      name: z.string(),
      price: krw,
      seats: z.number().int(),
      sold: z.number().int(),
      held: z.number().int(),
      /** What the seats sold now were paid for: refunded seats no longer count. */
      amount: krw,
    }),
  ),
  /** Per day of confirmation: orders, their seats and what they paid (refunds are not taken off here). */
  days: z.array(
    z.object({ day: z.iso.date(), orders: z.number().int(), tickets: z.number().int(), amount: krw }),
  ),
  /** Holds running now, awaiting payment. */
  holds: z.object({ reservations: z.number().int(), seats: z.number().int() }),
  /** Valid tickets (issued or used) and those checked in at the door. */
  checkIns: z.object({ tickets: z.number().int(), checkedIn: z.number().int() }),
  /** Each voucher's uses and the discount it gives on orders held or paid now. */
  vouchers: z.array(
    z.object({ code: z.string(), used: z.number().int(), maxUses: z.number().int(), discount: krw }),
  ),
});
export type SalesReport = z.infer<typeof salesReport>;

/** `GET /internal/events/:id/orders`: every reservation of the event that was paid for. */
export const salesOrders = z.object({
  items: z.array(
    z.object({
      reservationId: canonicalId(),
      userId: canonicalId(),
      status: reservationStatus,
      confirmedAt: isoTime,
      seats: z.array(z.string()),
      /** Seat prices before the voucher. */
      price: krw,
      discount: krw,
      amount: krw,
      voucherCode: z.string().nullable(),
      paymentId: canonicalId().nullable(),
    }),
  ),
  /** The event's standing areas: a label of `seats` naming a place of one (`standingAreaOf`) is a place. */
  standingAreas: z.array(z.string()).default([]),
});
export type SalesOrders = z.infer<typeof salesOrders>;

/** `GET /internal/events/:id/attendees`: every ticket issued for the event, void ones included. */
export const salesAttendees = z.object({
  items: z.array(
    z.object({
      ticketId: canonicalId(),
      reservationId: canonicalId(),
      userId: canonicalId(),
      seatLabel: z.string(),
      tierName: z.string(),
      status: z.enum(['ISSUED', 'USED', 'VOIDED']),
      issuedAt: isoTime,
      usedAt: isoTime.nullable(),
      /** A standing place's area and entry number (입장 번호), by which the door knows it; null for a seat. */
      entrySection: z.string().nullable().default(null),
      entryNumber: z.number().int().nullable().default(null),
    }),
  ),
});
export type SalesAttendees = z.infer<typeof salesAttendees>;
