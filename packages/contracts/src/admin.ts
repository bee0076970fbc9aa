import { z } from 'zod';
import { analyticsDashboard, eventFigures } from './analytics.ts';
import { eventStatus } from './event.ts';
import { canonicalId } from './ids.ts';
import { pageOf } from './page.ts';
import { paymentDto, paymentStatus } from './payment.ts';
import { reservationDto, reservationStatus } from './reservation.ts';
import { salesReport } from './sales-report.ts';
import { publicUser } from './user.ts';

/**
 * The admin service's API (`/api/admin/*`, admin role only): the operator's views composed from the other
 * services. A composed answer names the upstreams that could not be asked: `partial` is true,
 * `unavailable` lists them, and the parts they would have filled are `null`. A read served by one upstream
 * alone, and every write, answer 503 problem+json when that upstream is down.
 */

const isoTime = z.iso.datetime({ offset: true });

export const adminUpstream = z.enum(['analytics', 'event', 'reservation', 'payment', 'user', 'queue']);
export type AdminUpstream = z.infer<typeof adminUpstream>;

export const adminPartialMarker = {
  partial: z.boolean(),
  unavailable: z.array(adminUpstream),
};

export const adminSeatCounts = z.object({
  available: z.number().int().nonnegative(),
  held: z.number().int().nonnegative(),
  sold: z.number().int().nonnegative(),
});
export type AdminSeatCounts = z.infer<typeof adminSeatCounts>;

/**
 * The waiting room of an event as the queue service holds it now: people in line and admitted shoppers
 * holding a slot (`GET /internal/queue/:eventId/stats`).
 */
export const adminQueueLive = z.object({
  waiting: z.number().int().nonnegative(),
  activeShoppers: z.number().int().nonnegative(),
});

/** One event whose sale window is open now. */
export const adminOnSaleEvent = z.object({
  eventId: canonicalId(),
  title: z.string().nullable(),
  status: eventStatus.nullable(),
  saleOpensAt: isoTime.nullable(),
  saleClosesAt: isoTime.nullable(),
  /** Null when the event service could not be asked. */
  waitingRoom: z.boolean().nullable(),
  /** From the reservation service; null when it could not be asked or does not know the event yet. */
  seats: adminSeatCounts.nullable(),
  /** Today's figures (Asia/Seoul day) from analytics; null when it could not be asked or has none yet. */
  today: eventFigures.omit({ eventId: true, title: true, artistId: true }).nullable(),
  /** Null for events without a waiting room, or when the queue service could not be asked. */
  queue: adminQueueLive.nullable(),
});
export type AdminOnSaleEvent = z.infer<typeof adminOnSaleEvent>;

/** `GET /api/admin/dashboard` */
export const adminDashboard = z.object({
  generatedAt: isoTime,
  ...adminPartialMarker,
  /** Today's sales, revenue, conversion and top events (the analytics dashboard). */
  analytics: analyticsDashboard.nullable(),
  /** The events on sale now (from the event service; from analytics when the event service is down). */
  onSale: z.array(adminOnSaleEvent).nullable(),
});
export type AdminDashboard = z.infer<typeof adminDashboard>;

/** Money taken for one event (`GET /api/payments/events/:eventId/revenue` on the payment service; KRW). */
export const adminEventRevenue = z.object({
  /** Completed payments (refunded ones included). */
  payments: z.number().int().nonnegative(),
  grossAmount: z.number().int().nonnegative(),
  /** Payments with any amount refunded. */
  refunds: z.number().int().nonnegative(),
  refundedAmount: z.number().int().nonnegative(),
  netAmount: z.number().int(),
});
export type AdminEventRevenue = z.infer<typeof adminEventRevenue>;

/** `GET /api/admin/events/:id/sales` */
export const adminEventSales = z.object({
  eventId: canonicalId(),
  generatedAt: isoTime,
  ...adminPartialMarker,
  event: z
    .object({
      title: z.string(),
      status: eventStatus,
      startsAt: isoTime,
      saleOpensAt: isoTime,
      saleClosesAt: isoTime,
      seatCount: z.number().int().nonnegative(),
      waitingRoom: z.boolean(),
    })
    .nullable(),
  seats: adminSeatCounts.nullable(),
  revenue: adminEventRevenue.nullable(),
  /** By tier and day, holds running, check-ins and vouchers (the reservation service's figures). */
  report: salesReport.nullable(),
});
export type AdminEventSales = z.infer<typeof adminEventSales>;

/** `GET /api/admin/reservations?userId&eventId&status&page&pageSize` (passed to the reservation service). */
export const adminReservationQuery = z.object({
  userId: canonicalId().optional(),
  eventId: canonicalId().optional(),
  status: reservationStatus.optional(),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});
/** Operators search reservations as their owners see them (the reservation service's answer, passed on). */
export const adminReservationPage = pageOf(reservationDto);

/** A payment as operators search them: the payment service's view. */
export const adminPayment = paymentDto;
export type AdminPayment = z.infer<typeof adminPayment>;

/** `GET /api/admin/payments?userId&eventId&reservationId&orderId&status&page&pageSize` (passed through). */
export const adminPaymentQuery = z.object({
  userId: canonicalId().optional(),
  eventId: canonicalId().optional(),
  reservationId: canonicalId().optional(),
  orderId: z.string().min(1).max(64).optional(),
  status: paymentStatus.optional(),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});
export const adminPaymentPage = pageOf(adminPayment);

/** `POST /api/admin/payments/:id/refund`: the whole payment, an amount, or some seats. */
export const adminRefundRequest = z
  .strictObject({
    amount: z.number().int().positive().optional(),
    seatIds: z.array(canonicalId()).min(1).max(50).optional(),
    reason: z.string().trim().min(1).max(500),
  })
  .refine((b) => b.amount === undefined || b.seatIds === undefined, {
    message: 'give amount or seatIds, not both',
    path: ['seatIds'],
  });
export type AdminRefundRequest = z.infer<typeof adminRefundRequest>;

/** `GET /api/admin/users?query=` */
export const adminUserQuery = z.object({
  query: z.string().max(200).optional(),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});
export const adminUserPage = pageOf(publicUser);

/** `GET /api/admin/users/:id`: the account with its latest reservations and payments. */
export const adminUserDetail = z.object({
  userId: canonicalId(),
  ...adminPartialMarker,
  user: publicUser.nullable(),
  reservations: adminReservationPage.nullable(),
  payments: adminPaymentPage.nullable(),
});
export type AdminUserDetail = z.infer<typeof adminUserDetail>;

/** `GET /api/admin/queue/:eventId` */
export const adminQueueState = z.object({
  eventId: canonicalId(),
  generatedAt: isoTime,
  ...adminPartialMarker,
  event: z
    .object({
      title: z.string(),
      status: eventStatus,
      saleOpensAt: isoTime,
      saleClosesAt: isoTime,
      onSale: z.boolean(),
      waitingRoom: z.object({
        enabled: z.boolean(),
        admissionRatePerMinute: z.number().int(),
        maxActiveShoppers: z.number().int(),
      }),
    })
    .nullable(),
  /** Null when the queue service could not be asked; zeros when nobody is in this event's line. */
  queue: adminQueueLive.nullable(),
  seats: adminSeatCounts.nullable(),
  /** Today's figures for the event (analytics); null when it could not be asked or has none yet. */
  today: eventFigures.omit({ eventId: true, title: true, artistId: true }).nullable(),
});
export type AdminQueueState = z.infer<typeof adminQueueState>;

/**
 * Asia/Seoul's offset from UTC, where the concerts happen and the operators work. Seoul keeps it all year
 * (no daylight saving time), so adding it gives Seoul's calendar day and clock time without a zone database.
 */
export const SEOUL_OFFSET_MS = 9 * 3_600_000;

/** What some file system refuses in a file name (Windows the most), control characters included. */
const UNSAFE_IN_FILE_NAME = /[\\/:*?"<>|\p{Cc}]+/gu;

/**
 * A concert's download named as an operator knows the concert, by its title and its day in Seoul
 * (`NewJeans — Bunnies Camp 2027-01-22 orders.csv`), not by its id. What a file system refuses becomes a
 * space, dots and spaces at the ends go (a leading dot hides a file), and a long title is cut short.
 */
export function concertFileName(
  concert: { title: string; startsAt: string },
  list: string,
  extension: string,
) {
  const title = Array.from(concert.title.replace(UNSAFE_IN_FILE_NAME, ' ').replace(/\s+/g, ' '))
    .slice(0, 100)
    .join('')
    .replace(/^[ .]+|[ .]+$/g, '');
  const day = new Date(Date.parse(concert.startsAt) + SEOUL_OFFSET_MS).toISOString().slice(0, 10);
  return `${[title, day, list].filter(Boolean).join(' ')}.${extension}`;
}
