import { seatAvailabilityDto } from '@tiketi/contracts';
import { createHttpClient, problems, upstreamProblem } from '@tiketi/kit';

/** Reads how many seats of an event are free right now, from the reservation service's public availability. */
export function reservationServiceClient(baseUrl: string) {
  const http = createHttpClient({ baseUrl, name: 'reservation service' });
  return {
    /** Seats and standing places neither held nor sold; undefined for an event it does not sell. */
    async seatsLeft(eventId: string): Promise<number | undefined> {
      const res = await http.get<unknown>(`/api/seats/event/${eventId}/availability`);
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw upstreamProblem('reservation service', res);
      const parsed = seatAvailabilityDto.safeParse(res.body);
      if (!parsed.success) {
        throw problems.unavailable('The reservation service answered in an unexpected shape.');
      }
      return parsed.data.counts.available;
    },
  };
}
