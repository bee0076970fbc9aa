import { type EventSaleInfo, eventSaleInfo } from '@tiketi/contracts';
import { createHttpClient, problems, upstreamProblem } from '@tiketi/kit';

/** Reads an event's sale settings from the event service, for events no catalogue event told us about. */
export function eventServiceClient(baseUrl: string) {
  const http = createHttpClient({ baseUrl, name: 'event service' });
  return {
    async saleInfo(eventId: string): Promise<EventSaleInfo | undefined> {
      const res = await http.get<unknown>(`/api/events/${eventId}`);
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw upstreamProblem('event service', res);
      const parsed = eventSaleInfo.safeParse(res.body);
      if (!parsed.success) throw problems.unavailable('The event service answered in an unexpected shape.');
      return parsed.data;
    },
  };
}

export type EventServiceClient = ReturnType<typeof eventServiceClient>;
