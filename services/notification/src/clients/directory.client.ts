import { eventDetailDto, internalUser, internalUserPath } from '@tiketi/contracts';
import { createHttpClient, internalHeaders, upstreamProblem } from '@tiketi/kit';
import type { EventDetails, Recipient } from '../db/notification.repository.ts';

/** Reads users (internal route) and events (public route) from their owners. */
export function createDirectoryClient(options: {
  userServiceUrl: string;
  eventServiceUrl: string;
  internalToken: string;
}) {
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
