import { queryOptions, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  type EventDetailDto,
  eventDetailDto,
  joinSeatMap,
  pageOf,
  partPlaces,
  paymentDto,
  type ReservationDto,
  reservationDto,
  seatAvailabilityDto,
  seatLayoutDto,
  ticketDto,
  tossCheckoutRules,
  venueLayoutDto,
  waitlistStatus,
} from '@tiketi/contracts';
import type { z } from 'zod';
import { api } from './api.ts';
import { useI18n } from './i18n.tsx';

/** The most a list route answers at once. */
const LIST_PAGE = 100;

/**
 * Every item of a list route, however many pages it takes: the first page says how many there are, the
 * rest are asked for together. What names things elsewhere (concerts, artists, a fan's payments beside
 * their orders) must know every one of them, not the first hundred.
 */
export async function everyPage<T>(
  path: string,
  schema: z.ZodType<{ items: T[]; total: number }>,
  signal: AbortSignal,
): Promise<{ items: T[]; total: number }> {
  const pageAt = (page: number) =>
    api(`${path}${path.includes('?') ? '&' : '?'}page=${page}&pageSize=${LIST_PAGE}`, { schema, signal });
  const first = await pageAt(1);
  const pages = Math.ceil(first.total / LIST_PAGE);
  const rest = await Promise.all(Array.from({ length: Math.max(0, pages - 1) }, (_, i) => pageAt(i + 2)));
  return { items: [first, ...rest].flatMap((p) => p.items), total: first.total };
}

export type { SeatStatus } from '@tiketi/contracts';

/** A line of an order as a fan reads it: one seat, or the places of one standing area together. */
export type OrderLine = {
  key: string;
  seat?: string;
  standing?: { area: string; quantity: number };
  price: number;
};

/**
 * A reservation's seats as lines: seats one by one, then the places of each standing area of `event` as one
 * line ("Floor standing × 2"), since which places were picked means nothing to the fan.
 */
export function orderLines(
  seats: ReservationDto['seats'],
  event: Pick<EventDetailDto, 'venue'> | undefined,
): OrderLine[] {
  const areas = (event?.venue.sections ?? []).filter((s) => s.standing).map((s) => s.name);
  const { seats: alone, places } = partPlaces(seats, areas, (seat) => seat.label);
  return [
    ...alone.map((seat) => ({ key: seat.id, seat: seat.label, price: seat.price })),
    ...[...places].map(([area, p]) => ({
      key: area,
      standing: { area, quantity: p.length },
      price: p.reduce((sum, seat) => sum + seat.price, 0),
    })),
  ];
}

/** An order line's words: the seat's label, or the area's places as one ("Floor standing × 2"). */
export function lineName(line: OrderLine, t: ReturnType<typeof useI18n>['t']): string {
  return line.standing
    ? t('seats.standingLine', { name: line.standing.area, n: line.standing.quantity })
    : (line.seat ?? '');
}

/** How many seats and standing places, each by its own name ("50 seats and 21 standing places"). */
export function seatsAndPlaces(
  { seats, places }: { seats: number; places: number },
  t: ReturnType<typeof useI18n>['t'],
): string {
  if (places === 0) return t('event.seats', { n: seats });
  if (seats === 0) return t('event.standingPlaces', { n: places });
  return t('event.seatsAndPlaces', {
    seats: t('event.seats', { n: seats }),
    places: t('event.standingPlaces', { n: places }),
  });
}

/**
 * A reservation's or payment's seats as one text for a list ("A-1-3, Floor standing × 2"): the places of a
 * standing area are told from seats by the event's areas, fetched once per event however many rows ask.
 */
export function usePlaces(seats: ReservationDto['seats'], eventId: string): string {
  const { t } = useI18n();
  const event = useEvent(eventId);
  return orderLines(seats, event.data)
    .map((line) => lineName(line, t))
    .join(', ');
}

/** `GET /api/payments` (the caller's own). */
export const paymentsPage = pageOf(paymentDto);

/** One of the signed-in fan's reservations, read on its own (`useQuery({...reservationQuery(id), …})`). */
export function reservationQuery(reservationId: string | undefined) {
  return queryOptions({
    queryKey: ['reservation', reservationId],
    queryFn: ({ signal }) => api(`/api/reservations/${reservationId}`, { schema: reservationDto, signal }),
    enabled: Boolean(reservationId),
  });
}

/** The payments asked for one reservation (its tries at Toss), newest first. */
export function reservationPaymentsQuery(reservationId: string | undefined) {
  return queryOptions({
    queryKey: ['payments', reservationId],
    queryFn: ({ signal }) =>
      api(`/api/payments?reservationId=${reservationId}&pageSize=20`, { schema: paymentsPage, signal }),
    enabled: Boolean(reservationId),
  });
}

/**
 * The caller's payment of a Toss order (null when there is none), followed while it is being confirmed:
 * a confirm Toss did not answer is settled by its webhook or by reconciliation, every 3 s looked at.
 */
export function usePaymentOfOrder(orderId: string, enabled = true) {
  return useQuery({
    queryKey: ['payment-of-order', orderId],
    queryFn: async ({ signal }) => {
      const found = await api(`/api/payments?orderId=${encodeURIComponent(orderId)}`, {
        schema: paymentsPage,
        signal,
      });
      return found.items[0] ?? null;
    },
    enabled: enabled && Boolean(orderId),
    refetchInterval: (query) => (query.state.data?.status === 'IN_PROGRESS' ? 3000 : false),
  });
}

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

/**
 * The signed-in fan's holds on an event still waiting for payment. Read from the reservation service
 * itself, never from a shared copy: the fan sees a seat just held as theirs even while the public
 * availability (which a cache may serve up to a second old) still says it is free.
 */
export function useOwnHolds(eventId: string | undefined, enabled: boolean) {
  return useQuery({
    queryKey: ['own-holds', eventId],
    queryFn: ({ signal }) =>
      api(`/api/reservations?eventId=${eventId}&status=PENDING&pageSize=20`, {
        schema: pageOf(reservationDto),
        signal,
      }),
    enabled: Boolean(eventId) && enabled,
    refetchInterval: 10_000,
  });
}

/**
 * The signed-in fan's tickets of one concert, newest first (refunded ones too, as many as the per-person
 * limit and its refunds leave: far fewer than a hundred).
 */
export function useOwnTicketsOf(eventId: string, enabled: boolean) {
  return useQuery({
    queryKey: ['tickets', eventId],
    queryFn: ({ signal }) =>
      api(`/api/tickets?eventId=${eventId}&pageSize=100`, { schema: pageOf(ticketDto), signal }),
    enabled: Boolean(eventId) && enabled,
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
