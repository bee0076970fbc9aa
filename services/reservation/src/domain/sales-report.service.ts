import { problems } from '@tiketi/kit';
import type { ReportRepository } from '../db/report.repository.ts';

/** One event's figures and lists for its operator; an event this service never sold is not found. */
export function salesReportService(report: ReportRepository) {
  async function known(eventId: string) {
    if (!(await report.eventExists(eventId))) throw problems.notFound('The event');
  }
  return {
    async report(eventId: string) {
      await known(eventId);
      return report.report(eventId);
    },
    async orders(eventId: string) {
      await known(eventId);
      const [items, standingAreas] = await Promise.all([
        report.orders(eventId),
        report.standingAreas(eventId),
      ]);
      return { items, standingAreas };
    },
    async attendees(eventId: string) {
      await known(eventId);
      return { items: await report.attendees(eventId) };
    },
  };
}

export type SalesReportService = ReturnType<typeof salesReportService>;
