import type {
  AdminDashboard,
  AdminEventSales,
  AdminOnSaleEvent,
  AdminQueueState,
  AnalyticsDashboard,
} from '@tiketi/contracts';
import type { Logger } from '@tiketi/kit';
import type { Caller, EventDetail, Upstreams } from '../clients/upstreams.ts';
import { composeAnswer, type Part } from './partial.ts';

type TodayFigures = NonNullable<AdminOnSaleEvent['today']>;
type Listed = Omit<AdminOnSaleEvent, 'seats' | 'today' | 'queue'>;

/** Today's analytics figures of one event, if analytics counted anything for it. */
function todayOf(analytics: AnalyticsDashboard | null, eventId: string): TodayFigures | null {
  const figures =
    analytics?.onSale.find((e) => e.eventId === eventId) ??
    analytics?.topEvents.find((e) => e.eventId === eventId);
  if (!figures) return null;
  const { views, reservations, sales, tickets, revenue } = figures;
  return { views, reservations, sales, tickets, revenue };
}

/** What every view that names one event shows of it. */
function saleOf(event: EventDetail) {
  const { title, status, saleOpensAt, saleClosesAt } = event;
  return { title, status, saleOpensAt, saleClosesAt };
}

/** The operator's overviews: the dashboard, one event's sales, one event's waiting room. */
export function overviewService(deps: { upstreams: Upstreams; logger: Logger; now?: () => Date }) {
  const { upstreams, logger } = deps;
  const now = deps.now ?? (() => new Date());

  /** A composed overview, stamped with when its last part came in. */
  const overview = <T extends object>(build: (part: Part) => Promise<T>) =>
    composeAnswer(logger, async (part) => {
      const parts = await build(part);
      return { generatedAt: now().toISOString(), ...parts };
    });

  // The reservation service answers 404 for an event it holds no seats of yet: no counts, not an outage.
  const seatsOf = (part: Part, eventId: string) =>
    part(() => upstreams.reservation.seatCounts(eventId), { absentAsNull: true });

  return {
    dashboard: (caller: Caller): Promise<AdminDashboard> =>
      overview(async (part) => {
        const [analytics, listed] = await Promise.all([
          part(() => upstreams.analytics.dashboard(caller)),
          part(() => upstreams.event.onSale(caller)),
        ]);

        // The event service knows every open sale; analytics' own list stands in while it is down.
        let events: Listed[] | null = null;
        if (listed) {
          events = listed.items.map((e) => ({
            eventId: e.id,
            title: e.title,
            status: e.status,
            saleOpensAt: e.saleOpensAt,
            saleClosesAt: e.saleClosesAt,
            waitingRoom: e.waitingRoom.enabled,
          }));
        } else if (analytics) {
          events = analytics.onSale.map((e) => ({
            eventId: e.eventId,
            title: e.title,
            status: null,
            saleOpensAt: e.saleOpensAt,
            saleClosesAt: e.saleClosesAt,
            waitingRoom: null,
          }));
        }

        const [seats, lines] = await Promise.all([
          Promise.all((events ?? []).map((e) => seatsOf(part, e.eventId))),
          Promise.all(
            (events ?? []).map((e) =>
              e.waitingRoom === false ? Promise.resolve(null) : part(() => upstreams.queue.line(e.eventId)),
            ),
          ),
        ]);

        const onSale =
          events?.map((e, i) => ({
            ...e,
            seats: seats[i] ?? null,
            today: todayOf(analytics, e.eventId),
            queue: lines[i] ?? null,
          })) ?? null;

        return { analytics, onSale };
      }),

    eventSales: (caller: Caller, eventId: string): Promise<AdminEventSales> =>
      overview(async (part) => {
        const [event, seats, revenue, report] = await Promise.all([
          part(() => upstreams.event.get(caller, eventId)),
          seatsOf(part, eventId),
          part(() => upstreams.payment.eventRevenue(caller, eventId)),
          part(() => upstreams.reservation.report(eventId), { absentAsNull: true }),
        ]);
        return {
          eventId,
          event: event && {
            ...saleOf(event),
            startsAt: event.startsAt,
            seatCount: event.venue.seatCount,
            waitingRoom: event.waitingRoom.enabled,
          },
          seats,
          revenue,
          report,
        };
      }),

    queueState: (caller: Caller, eventId: string): Promise<AdminQueueState> =>
      overview(async (part) => {
        const [event, line, seats, analytics] = await Promise.all([
          part(() => upstreams.event.get(caller, eventId)),
          part(() => upstreams.queue.line(eventId)),
          seatsOf(part, eventId),
          part(() => upstreams.analytics.dashboard(caller)),
        ]);
        return {
          eventId,
          event: event && {
            ...saleOf(event),
            onSale: event.status === 'on_sale',
            waitingRoom: event.waitingRoom,
          },
          queue: line,
          seats,
          today: todayOf(analytics, eventId),
        };
      }),
  };
}

export type OverviewService = ReturnType<typeof overviewService>;
