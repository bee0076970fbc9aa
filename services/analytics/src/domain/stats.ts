import type { AnalyticsDashboard, EventFigures } from '@tiketi/contracts';
import { problems } from '@tiketi/kit';
import type { CounterStore } from '../db/counter.store.ts';
import type { EventProjectionRepository } from '../db/event-projection.repository.ts';
import type { StatsRepository } from '../db/stats.repository.ts';
import {
  artistDimension,
  type Dimension,
  eventDimension,
  type Metric,
  SITE,
  UNIQUE_VISITORS,
} from './counters.ts';
import {
  addDays,
  addMonths,
  type Clock,
  daySpan,
  daysBetween,
  isoDay,
  monthOf,
  monthSpan,
  monthsBetween,
  toDayKey,
} from './kst.ts';

const MAX_DAYS = 366;
const MAX_MONTHS = 36;
const DEFAULT_DAYS = 30;
const DEFAULT_MONTHS = 12;
const TOP_EVENTS = 10;
/** Enough for every sale a platform runs at once; the list is ordered by opening, latest first. */
const ON_SALE_LIMIT = 1000;

const REVENUE_METRICS = ['revenue', 'orders', 'refunds', 'refunded_amount'] as const satisfies Metric[];
const EVENT_METRICS = ['views', 'reservations', 'orders', 'tickets', 'revenue'] as const satisfies Metric[];

type Figures = Record<string, number>;

/**
 * Reads for the admin dashboard. A day's figures come from Redis while its live counters exist (today
 * and yesterday: the day counter holds every increment of the day, flushed or not), and from
 * `daily_stats` for older days, which the rollup has completed. Nothing is counted from both.
 */
export function statsService(deps: {
  counters: CounterStore;
  stats: StatsRepository;
  projection: EventProjectionRepository;
  clock: Clock;
}) {
  const { counters, stats, projection, clock } = deps;

  function liveDays(): string[] {
    const today = isoDay(clock());
    return [addDays(today, -1), today];
  }

  function dayRange(start: string | undefined, end: string | undefined): string[] {
    const last = end ?? isoDay(clock());
    const first = start ?? addDays(last, -(DEFAULT_DAYS - 1));
    if (first > last) throw problems.badRequest('start must not be after end.');
    if (daySpan(first, last) > MAX_DAYS) throw problems.badRequest(`A range spans at most ${MAX_DAYS} days.`);
    return daysBetween(first, last);
  }

  async function liveFigures(
    dimension: Dimension,
    metrics: readonly Metric[],
    day: string,
  ): Promise<Figures> {
    const values = await counters.values(
      metrics.map((metric) => ({ metric, dimension, day: toDayKey(day) })),
    );
    return Object.fromEntries(metrics.map((m, i) => [m, values[i] ?? 0]));
  }

  /** Per day: Redis for live days, `daily_stats` for the rest. */
  async function dailyFigures(dimension: Dimension, metrics: readonly Metric[], days: string[]) {
    const first = days[0] ?? '';
    const last = days.at(-1) ?? '';
    const stored = await stats.daily({
      metrics: [...metrics, UNIQUE_VISITORS],
      dimension,
      start: first,
      end: last,
    });
    const byDay = new Map<string, Figures>();
    for (const row of stored) {
      const figures = byDay.get(row.day) ?? {};
      figures[row.metric] = row.value;
      byDay.set(row.day, figures);
    }
    const live = new Set(liveDays());
    const result = new Map<string, Figures>();
    for (const day of days) {
      result.set(day, live.has(day) ? await liveFigures(dimension, metrics, day) : (byDay.get(day) ?? {}));
    }
    return { result, stored: byDay, live };
  }

  async function eventFigures(eventIds: string[], day: string): Promise<Map<string, EventFigures>> {
    const known = new Map((await projection.findMany(eventIds)).map((e) => [e.eventId, e]));
    const figures = new Map<string, EventFigures>();
    for (const eventId of eventIds) {
      const f = await liveFigures(eventDimension(eventId), EVENT_METRICS, day);
      const e = known.get(eventId);
      figures.set(eventId, {
        eventId,
        title: e?.title ?? null,
        artistId: e?.artistId ?? null,
        views: f.views ?? 0,
        reservations: f.reservations ?? 0,
        sales: f.orders ?? 0,
        tickets: f.tickets ?? 0,
        revenue: f.revenue ?? 0,
      });
    }
    return figures;
  }

  return {
    async artistTraffic(artistId: string, start?: string, end?: string) {
      const days = dayRange(start, end);
      const dimension = artistDimension(artistId);
      const { result, live } = await dailyFigures(dimension, ['views'], days);
      const points = [];
      for (const day of days) {
        const f = result.get(day) ?? {};
        const uniqueVisitors = live.has(day)
          ? await counters.uniqueVisitors(artistId, toDayKey(day))
          : (f[UNIQUE_VISITORS] ?? 0);
        points.push({ date: day, pageViews: f.views ?? 0, uniqueVisitors });
      }
      return points;
    },

    async dailyRevenue(start?: string, end?: string) {
      const days = dayRange(start, end);
      const { result } = await dailyFigures(SITE, REVENUE_METRICS, days);
      return days.map((day) => revenueOf(result.get(day) ?? {}, { date: day }));
    },

    async monthlyRevenue(start?: string, end?: string) {
      const last = end ?? monthOf(isoDay(clock()));
      const first = start ?? addMonths(last, -(DEFAULT_MONTHS - 1));
      if (first > last) throw problems.badRequest('start must not be after end.');
      if (monthSpan(first, last) > MAX_MONTHS)
        throw problems.badRequest(`A range spans at most ${MAX_MONTHS} months.`);
      const months = monthsBetween(first, last);
      const stored = await stats.monthly({
        metrics: [...REVENUE_METRICS],
        dimension: SITE,
        start: first,
        end: last,
      });
      const byMonth = new Map<string, Figures>();
      for (const row of stored) {
        const figures = byMonth.get(row.month) ?? {};
        figures[row.metric] = row.value;
        byMonth.set(row.month, figures);
      }
      // The live days' flushed part is already in monthly_stats: swap it for their full live value.
      const live = liveDays();
      const { result, stored: storedDays } = await dailyFigures(SITE, REVENUE_METRICS, live);
      for (const day of live) {
        const month = monthOf(day);
        if (!months.includes(month)) continue;
        const figures = byMonth.get(month) ?? {};
        for (const metric of REVENUE_METRICS) {
          const flushed = storedDays.get(day)?.[metric] ?? 0;
          figures[metric] = (figures[metric] ?? 0) - flushed + (result.get(day)?.[metric] ?? 0);
        }
        byMonth.set(month, figures);
      }
      return months.map((month) => revenueOf(byMonth.get(month) ?? {}, { month }));
    },

    async dashboard(): Promise<AnalyticsDashboard> {
      const now = clock();
      const today = isoDay(now);
      const site = await liveFigures(
        SITE,
        [...REVENUE_METRICS, 'tickets', 'reservations', 'page_views', 'event_views'],
        today,
      );
      const orders = site.orders ?? 0;
      const eventViews = site.event_views ?? 0;

      const active = await counters.activeEvents(toDayKey(today));
      const activeFigures = await eventFigures(active, today);
      const topEvents = [...activeFigures.values()]
        .sort((a, b) => b.revenue - a.revenue || b.sales - a.sales || b.views - a.views)
        .slice(0, TOP_EVENTS);

      const selling = await projection.onSale(now, ON_SALE_LIMIT);
      const sellingFigures = await eventFigures(
        selling.map((e) => e.eventId),
        today,
      );
      const onSale = selling.map((e) => ({
        ...(sellingFigures.get(e.eventId) as EventFigures),
        saleOpensAt: e.saleOpensAt?.toISOString() ?? null,
        saleClosesAt: e.saleClosesAt?.toISOString() ?? null,
      }));

      return {
        date: today,
        generatedAt: now.toISOString(),
        today: {
          ...revenueOf(site, {}),
          ticketsSold: site.tickets ?? 0,
          reservations: site.reservations ?? 0,
          pageViews: site.page_views ?? 0,
          eventViews,
          conversionRate: eventViews === 0 ? 0 : Math.round((orders / eventViews) * 10_000) / 10_000,
        },
        topEvents,
        onSale,
      };
    },
  };
}

function revenueOf<K extends object>(f: Figures, key: K) {
  return {
    ...key,
    revenue: f.revenue ?? 0,
    orders: f.orders ?? 0,
    refunds: f.refunds ?? 0,
    refundedAmount: f.refunded_amount ?? 0,
  };
}

export type StatsService = ReturnType<typeof statsService>;
