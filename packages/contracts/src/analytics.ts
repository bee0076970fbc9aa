import { z } from 'zod';
import { canonicalId } from './ids.ts';

/**
 * The analytics service's public API (`/api/analytics/*`): what the web app tracks and what the admin
 * service and dashboard read. Dates are Asia/Seoul calendar days (`yyyy-mm-dd`), months `yyyy-mm`,
 * money integer KRW.
 */

export const trackEventTypes = [
  'page_view',
  'event_view',
  'seat_map_view',
  'queue_join',
  'checkout_start',
  'search',
] as const;
export type TrackEventType = (typeof trackEventTypes)[number];

/** Types about one concert event: they need its `eventId`. */
export const eventScopedTrackTypes: readonly TrackEventType[] = [
  'event_view',
  'seat_map_view',
  'queue_join',
  'checkout_start',
];

const propertyValue = z.union([z.string().max(256), z.number().finite(), z.boolean(), z.null()]);

export const trackRequest = z
  .strictObject({
    type: z.enum(trackEventTypes),
    /** Client-made id: a retried send with the same id is counted once. */
    id: canonicalId().optional(),
    /** Anonymous visitors' session (required without a bearer token). */
    sessionId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{8,128}$/, 'must be 8-128 letters, digits, "-" or "_"')
      .optional(),
    eventId: canonicalId().optional(),
    /** For page views of an artist's page; event-scoped types take the artist from the event. */
    artistId: canonicalId().optional(),
    path: z.string().min(1).max(512).optional(),
    referrer: z.string().max(512).optional(),
    properties: z
      .record(z.string().min(1).max(64), propertyValue)
      .refine((p) => Object.keys(p).length <= 20, 'at most 20 properties')
      .optional(),
  })
  .superRefine((body, ctx) => {
    if (eventScopedTrackTypes.includes(body.type) && !body.eventId) {
      ctx.addIssue({ code: 'custom', path: ['eventId'], message: `is required for ${body.type}` });
    }
  });
export type TrackRequest = z.infer<typeof trackRequest>;

export const trackResponse = z.object({ accepted: z.literal(true), id: canonicalId() });

const isoDay = z.iso.date();
const isoMonth = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be yyyy-mm');

export const dayRangeQuery = z.object({ start: isoDay.optional(), end: isoDay.optional() });
export const monthRangeQuery = z.object({ start: isoMonth.optional(), end: isoMonth.optional() });

export const artistTrafficPoint = z.object({
  date: isoDay,
  pageViews: z.number().int(),
  uniqueVisitors: z.number().int(),
});
export const artistTraffic = z.array(artistTrafficPoint);

const revenueFigures = {
  /** Net of refunds. */
  revenue: z.number().int(),
  /** Completed payments. */
  orders: z.number().int(),
  /** Number of refunds (a refund does not decrement orders). */
  refunds: z.number().int(),
  refundedAmount: z.number().int(),
};
export const revenueDay = z.object({ date: isoDay, ...revenueFigures });
export const revenueMonth = z.object({ month: isoMonth, ...revenueFigures });
export const dailyRevenue = z.array(revenueDay);
export const monthlyRevenue = z.array(revenueMonth);

export const eventFigures = z.object({
  eventId: canonicalId(),
  title: z.string().nullable(),
  artistId: canonicalId().nullable(),
  views: z.number().int(),
  reservations: z.number().int(),
  sales: z.number().int(),
  tickets: z.number().int(),
  revenue: z.number().int(),
});
export type EventFigures = z.infer<typeof eventFigures>;

export const analyticsDashboard = z.object({
  date: isoDay,
  generatedAt: z.iso.datetime({ offset: true }),
  today: z.object({
    ...revenueFigures,
    /** Tickets (seats) confirmed today. */
    ticketsSold: z.number().int(),
    reservations: z.number().int(),
    pageViews: z.number().int(),
    eventViews: z.number().int(),
    /** Completed payments per event view, 0 when there were no views. */
    conversionRate: z.number(),
  }),
  /** Today's events by revenue, then views. */
  topEvents: z.array(eventFigures),
  /** Events whose sale window is open now, with today's figures. */
  onSale: z.array(
    eventFigures.extend({
      saleOpensAt: z.iso.datetime({ offset: true }).nullable(),
      saleClosesAt: z.iso.datetime({ offset: true }).nullable(),
    }),
  ),
});
export type AnalyticsDashboard = z.infer<typeof analyticsDashboard>;
