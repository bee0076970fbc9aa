import type {
  AdminDashboard,
  AdminEventSales,
  AdminOnSaleEvent,
  AdminQueueState,
  AnalyticsDashboard,
} from '@tiketi/contracts';
import type { Logger } from '@tiketi/kit';
import type { Caller, Upstreams } from '../clients/upstreams.ts';
import { partialAnswer } from './partial.ts';

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

/** The operator's overviews: the dashboard, one event's sales, one event's waiting room. */
export function overviewService(deps: { upstreams: Upstreams; logger: Logger; now?: () => Date }) {
  const { upstreams, logger } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    async dashboard(caller: Caller): Promise<AdminDashboard> {
      const answer = partialAnswer(logger);
      const [analytics, listed] = await Promise.all([
        answer.part(() => upstreams.analytics.dashboard(caller)),
        answer.part(() => upstreams.event.onSale(caller)),
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
        Promise.all(
          (events ?? []).map((e) =>
            answer.part(() => upstreams.reservation.seatCounts(e.eventId), { absentAsNull: true }),
          ),
        ),
        Promise.all(
          (events ?? []).map((e) =>
            e.waitingRoom === false
              ? Promise.resolve(null)
              : answer.part(() => upstreams.queue.line(e.eventId)),
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

      return { generatedAt: now().toISOString(), ...answer.marker(), analytics, onSale };
    },

    async eventSales(caller: Caller, eventId: string): Promise<AdminEventSales> {
      const answer = partialAnswer(logger);
      const [event, seats, revenue] = await Promise.all([
        answer.part(() => upstreams.event.get(caller, eventId)),
        answer.part(() => upstreams.reservation.seatCounts(eventId), { absentAsNull: true }),
        answer.part(() => upstreams.payment.eventRevenue(caller, eventId)),
      ]);
      return {
        eventId,
        generatedAt: now().toISOString(),
        ...answer.marker(),
        event: event && {
          title: event.title,
          status: event.status,
          startsAt: event.startsAt,
          saleOpensAt: event.saleOpensAt,
          saleClosesAt: event.saleClosesAt,
          seatCount: event.venue.seatCount,
          waitingRoom: event.waitingRoom.enabled,
        },
        seats,
        revenue,
      };
    },

    async queueState(caller: Caller, eventId: string): Promise<AdminQueueState> {
      const answer = partialAnswer(logger);
      const [event, line, seats, analytics] = await Promise.all([
        answer.part(() => upstreams.event.get(caller, eventId)),
        answer.part(() => upstreams.queue.line(eventId)),
        answer.part(() => upstreams.reservation.seatCounts(eventId), { absentAsNull: true }),
        answer.part(() => upstreams.analytics.dashboard(caller)),
      ]);
      return {
        eventId,
        generatedAt: now().toISOString(),
        ...answer.marker(),
        event: event && {
          title: event.title,
          status: event.status,
          saleOpensAt: event.saleOpensAt,
          saleClosesAt: event.saleClosesAt,
          onSale: event.status === 'on_sale',
          waitingRoom: event.waitingRoom,
        },
        queue: line,
        seats,
        today: todayOf(analytics, eventId),
      };
    },
  };
}

export type OverviewService = ReturnType<typeof overviewService>;
