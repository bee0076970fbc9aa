import { internalUserEventHolds, seatAvailabilityDto } from '@tiketi/contracts';
import { createHttpClient, type HttpResponse, internalHeaders, problems, upstreamProblem } from '@tiketi/kit';
import type { z } from 'zod';

/** Asks the reservation service what the waiting room cannot know by itself. */
export function reservationServiceClient(options: { baseUrl: string; internalToken: string }) {
  const http = createHttpClient({ baseUrl: options.baseUrl, name: 'reservation service' });
  // Only on the internal route: the public ones need no secret.
  const internal = { headers: internalHeaders(options.internalToken) };
  return {
    /** Seats and standing places neither held nor sold; undefined for an event it does not sell. */
    async seatsLeft(eventId: string): Promise<number | undefined> {
      const res = await http.get<unknown>(`/api/seats/event/${eventId}/availability`);
      if (res.status === 404) return undefined;
      return answer(seatAvailabilityDto, res).counts.available;
    },

    /** How many holds the user made in the event are live, whether or not their announcement came yet. */
    async liveHolds(eventId: string, userId: string): Promise<number> {
      const res = await http.get<unknown>(`/internal/users/${userId}/events/${eventId}/holds`, internal);
      return answer(internalUserEventHolds, res).holds;
    },
  };
}

export type ReservationServiceClient = ReturnType<typeof reservationServiceClient>;

function answer<T extends z.ZodType>(schema: T, res: HttpResponse<unknown>): z.output<T> {
  if (res.status !== 200) throw upstreamProblem('reservation service', res);
  const parsed = schema.safeParse(res.body);
  if (!parsed.success) throw problems.unavailable('The reservation service answered in an unexpected shape.');
  return parsed.data;
}
