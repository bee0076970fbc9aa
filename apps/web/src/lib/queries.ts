import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  type EventDetailDto,
  eventDetailDto,
  joinSeatMap,
  pageOf,
  paymentDto,
  seatAvailabilityDto,
  seatLayoutDto,
  tossCheckoutRules,
  venueLayoutDto,
  waitlistStatus,
} from '@tiketi/contracts';
import { api } from './api.ts';

export type { SeatStatus } from '@tiketi/contracts';

/** `GET /api/payments` (the caller's own). */
export const paymentsPage = pageOf(paymentDto);

/** What opening Toss's checkout does to the hold (the payment window), told before the fan opens it. */
export function useTossCheckoutRules() {
  return useQuery({
    queryKey: ['toss-checkout-rules'],
    queryFn: ({ signal }) => api('/api/payments/toss/rules', { schema: tossCheckoutRules, signal }),
    staleTime: 10 * 60_000,
  });
}

export function useEvent(id: string | undefined) {
  return useQuery({
    queryKey: ['event', id],
    queryFn: ({ signal }) => api<EventDetailDto>(`/api/events/${id}`, { schema: eventDetailDto, signal }),
    enabled: Boolean(id),
    staleTime: 30_000,
  });
}

export function useVenueLayout(venueId: string | undefined) {
  return useQuery({
    queryKey: ['layout', venueId],
    queryFn: ({ signal }) => api(`/api/venues/${venueId}/layout`, { schema: venueLayoutDto, signal }),
    enabled: Boolean(venueId),
    staleTime: 5 * 60_000,
  });
}

/**
 * Live seat states: the availability is polled while the page is open, so holds and sales by others show
 * within seconds (the browser revalidates it with its ETag: 304 while nothing changed), and joined with the
 * layout of its version, fetched once and kept (the server marks it immutable).
 */
export function useSeatMap(eventId: string | undefined, refetchInterval: number | false = 1500) {
  const client = useQueryClient();
  return useQuery({
    queryKey: ['seats', eventId],
    queryFn: async ({ signal }) => {
      const availability = await api(`/api/seats/event/${eventId}/availability`, {
        schema: seatAvailabilityDto,
        signal,
      });
      const version = availability.layoutVersion;
      const layout = await client.fetchQuery({
        queryKey: ['seat-layout', eventId, version],
        queryFn: ({ signal: layoutSignal }) =>
          api(`/api/seats/event/${eventId}/layout/${version}`, {
            schema: seatLayoutDto,
            signal: layoutSignal,
          }),
        staleTime: Number.POSITIVE_INFINITY,
      });
      return { eventId, counts: availability.counts, seats: joinSeatMap(layout, availability) };
    },
    enabled: Boolean(eventId),
    refetchInterval,
  });
}

/** The signed-in fan's place on an event's waiting list (`entry: null` when not on it). */
export function useWaitlist(eventId: string | undefined, enabled = true) {
  return useQuery({
    queryKey: ['waitlist', eventId],
    queryFn: ({ signal }) => api(`/api/waitlist/${eventId}`, { schema: waitlistStatus, signal }),
    enabled: Boolean(eventId) && enabled,
    // The place falls as fans ahead leave or get offers; an offer shows up without a reload.
    refetchInterval: 10_000,
  });
}
