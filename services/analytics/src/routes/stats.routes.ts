import {
  analyticsDashboard,
  artistTraffic,
  canonicalId,
  dailyRevenue,
  dayRangeQuery,
  monthlyRevenue,
  monthRangeQuery,
} from '@tiketi/contracts';
import type { App, Auth } from '@tiketi/kit';
import { z } from 'zod';
import type { StatsService } from '../domain/stats.ts';

/** The query API of the seed; operators only. Days and months are Asia/Seoul. */
export function statsRoutes(app: App, auth: Auth, stats: StatsService) {
  app.get(
    '/api/analytics/artist/:id/traffic',
    {
      onRequest: auth.admin,
      schema: {
        summary: "An artist's page views and unique visitors per day",
        params: z.object({ id: canonicalId() }),
        querystring: dayRangeQuery,
        response: { 200: artistTraffic },
      },
    },
    async (req) => stats.artistTraffic(req.params.id, req.query.start, req.query.end),
  );

  app.get(
    '/api/analytics/revenue/daily',
    {
      onRequest: auth.admin,
      schema: {
        summary: 'Revenue, orders and refunds per day',
        querystring: dayRangeQuery,
        response: { 200: dailyRevenue },
      },
    },
    async (req) => stats.dailyRevenue(req.query.start, req.query.end),
  );

  app.get(
    '/api/analytics/revenue/monthly',
    {
      onRequest: auth.admin,
      schema: {
        summary: 'Revenue, orders and refunds per month',
        querystring: monthRangeQuery,
        response: { 200: monthlyRevenue },
      },
    },
    async (req) => stats.monthlyRevenue(req.query.start, req.query.end),
  );

  app.get(
    '/api/analytics/dashboard',
    {
      onRequest: auth.admin,
      schema: {
        summary: "Today's sales, revenue, conversion, top events and the events on sale",
        response: { 200: analyticsDashboard },
      },
    },
    async () => stats.dashboard(),
  );
}
