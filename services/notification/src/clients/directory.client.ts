import {
  eventDetailDto,
  type InternalReservation,
  internalReservation,
  internalUser,
  internalUserPath,
  salesAttendees,
  ticketDocuments,
} from '@tiketi/contracts';
import { createHttpClient, internalHeaders, upstreamProblem } from '@tiketi/kit';
import type { EventDetails, Recipient } from '../db/notification.repository.ts';

/** An account's valid tickets of one event, and the orders (reservations) they were issued for. */
export type Holding = { tickets: number; reservationIds: Set<string> };

/** Reads users and ticket documents (internal routes) and events (public route) from their owners. */
export function createDirectoryClient(options: {
  userServiceUrl: string;
  eventServiceUrl: string;
  reservationServiceUrl: string;
  internalToken: string;
}) {
  const reservations = createHttpClient({
    baseUrl: options.reservationServiceUrl,
    name: 'reservation service',
    headers: internalHeaders(options.internalToken),
    // Rendering an order's PDF takes a moment; the default would cut a large order short.
    timeoutMs: 15_000,
  });
  const users = createHttpClient({
    baseUrl: options.userServiceUrl,
    name: 'user service',
    headers: internalHeaders(options.internalToken),
  });
  const events = createHttpClient({ baseUrl: options.eventServiceUrl, name: 'event service' });
  const eventShape = eventDetailDto.pick({ id: true, title: true, startsAt: true }).extend({
    venue: eventDetailDto.shape.venue.pick({ name: true }).optional(),
  });

  return {
    /** The user, or undefined when the user service does not know them; throws when it cannot answer. */
    async user(userId: string): Promise<Recipient | undefined> {
      const res = await users.get<unknown>(internalUserPath(userId));
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw upstreamProblem('user service', res);
      const user = internalUser.parse(res.body);
      return { userId: user.id, email: user.email, name: user.name, locale: user.locale };
    },
    async event(eventId: string): Promise<EventDetails | undefined> {
      const res = await events.get<unknown>(`/api/events/${eventId}`);
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw upstreamProblem('event service', res);
      const event = eventShape.parse(res.body);
      return {
        eventId: event.id,
        title: event.title,
        startsAt: new Date(event.startsAt),
        venueName: event.venue?.name ?? null,
      };
    },
    /**
     * The tickets of a confirmed order with their QR payloads and codes, and one PDF of them all; undefined
     * when the order has no valid ticket any more. Throws when the reservation service cannot answer.
     */
    async ticketDocuments(reservationId: string) {
      const res = await reservations.get<unknown>(`/internal/reservations/${reservationId}/ticket-documents`);
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw upstreamProblem('reservation service', res);
      return ticketDocuments.parse(res.body);
    },
    /**
     * Who holds valid tickets of the event, how many each and of which orders: an account with tickets
     * that were only voided (refunded) holds none. Empty when the reservation service sells no such event.
     */
    async holders(eventId: string): Promise<Map<string, Holding>> {
      const res = await reservations.get<unknown>(`/internal/events/${eventId}/attendees`);
      const held = new Map<string, Holding>();
      if (res.status === 404) return held;
      if (res.status !== 200) throw upstreamProblem('reservation service', res);
      for (const t of salesAttendees.parse(res.body).items) {
        if (t.status !== 'ISSUED') continue;
        const holding = held.get(t.userId) ?? { tickets: 0, reservationIds: new Set<string>() };
        holding.tickets += 1;
        holding.reservationIds.add(t.reservationId);
        held.set(t.userId, holding);
      }
      return held;
    },
    /** A reservation as it stands now (a waiting-list offer is one), or undefined when there is none. */
    async reservation(reservationId: string): Promise<InternalReservation | undefined> {
      const res = await reservations.get<unknown>(`/internal/reservations/${reservationId}`);
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw upstreamProblem('reservation service', res);
      return internalReservation.parse(res.body);
    },
    /** Why the event was cancelled, as the operator said it (null when it was not, or said nothing). */
    async cancelReason(eventId: string): Promise<string | null> {
      const res = await events.get<unknown>(`/api/events/${eventId}`);
      if (res.status === 404) return null;
      if (res.status !== 200) throw upstreamProblem('event service', res);
      return eventDetailDto.pick({ cancelReason: true }).parse(res.body).cancelReason;
    },
  };
}

export type DirectoryClient = ReturnType<typeof createDirectoryClient>;
