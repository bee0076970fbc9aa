import { canonicalId, salesAttendees, salesOrders, salesReport } from '@tiketi/contracts';
import type { App, Auth } from '@tiketi/kit';
import { z } from 'zod';
import type { SalesReportService } from '../domain/sales-report.service.ts';

const eventParams = z.object({ eventId: canonicalId() });

/** The operator's sales figures and exports of one event, reached through the admin service. */
export function reportRoutes(app: App, reports: SalesReportService, auth: Auth) {
  const internal = { onRequest: auth.internal } as const;
  app.get(
    '/internal/events/:eventId/report',
    { ...internal, schema: { hide: true, params: eventParams, response: { 200: salesReport } } },
    async (req) => reports.report(req.params.eventId),
  );
  app.get(
    '/internal/events/:eventId/orders',
    { ...internal, schema: { hide: true, params: eventParams, response: { 200: salesOrders } } },
    async (req) => reports.orders(req.params.eventId),
  );
  app.get(
    '/internal/events/:eventId/attendees',
    { ...internal, schema: { hide: true, params: eventParams, response: { 200: salesAttendees } } },
    async (req) => reports.attendees(req.params.eventId),
  );
}
