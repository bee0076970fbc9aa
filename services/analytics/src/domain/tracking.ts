import { eventScopedTrackTypes, type TrackRequest } from '@tiketi/contracts';
import { type AuthUser, problems } from '@tiketi/kit';
import { v7 as uuidv7 } from 'uuid';
import type { CounterStore } from '../db/counter.store.ts';
import { artistDimension, eventDimension, type Increment, type Metric, SITE } from './counters.ts';
import type { EventDirectory } from './event-directory.ts';
import { type Clock, dayKey } from './kst.ts';
import type { RawEventBuffer } from './raw-event-buffer.ts';

const SITE_METRIC: Record<TrackRequest['type'], Metric> = {
  page_view: 'page_views',
  event_view: 'event_views',
  seat_map_view: 'seat_map_views',
  queue_join: 'queue_joins',
  checkout_start: 'checkout_starts',
  search: 'searches',
};

/**
 * What one tracked event counts. Artist traffic is the artist's page views plus views of the artist's
 * events; per event, a view counts as `views` and the other types under their own metric.
 */
export function incrementsForTrack(
  type: TrackRequest['type'],
  eventId: string | undefined,
  artistId: string | undefined,
): Increment[] {
  const site = SITE_METRIC[type];
  const increments: Increment[] = [{ metric: site, dimension: SITE, amount: 1 }];
  if (eventId) {
    increments.push({
      metric: type === 'event_view' ? 'views' : site,
      dimension: eventDimension(eventId),
      amount: 1,
    });
  }
  if (artistId && (type === 'page_view' || type === 'event_view')) {
    increments.push({ metric: 'views', dimension: artistDimension(artistId), amount: 1 });
  }
  return increments;
}

/**
 * Sessions of anonymous visitors one address is counted as in a day's unique visitors: a household or an
 * office behind one address, not a script minting a session per request (past it, the address is one).
 */
export const SESSIONS_PER_ADDRESS = 20;

export type TrackingOptions = {
  counters: CounterStore;
  directory: EventDirectory;
  buffer: RawEventBuffer;
  clock: Clock;
  /** Tracked events per visitor (user or session) and per IP (0: none) in each window. */
  rateLimit: { perVisitor: number; perIp: number; windowMs: number };
};

export function trackingService(options: TrackingOptions) {
  const { counters, directory, buffer, clock, rateLimit } = options;

  async function enforceRate(visitor: string, ip: string): Promise<void> {
    // Session ids are chosen by the client, so a per-IP ceiling stops one client rotating them.
    const results = await Promise.all([
      counters.hit(`v:${visitor}`, rateLimit.perVisitor, rateLimit.windowMs),
      ...(rateLimit.perIp > 0 ? [counters.hit(`ip:${ip}`, rateLimit.perIp, rateLimit.windowMs)] : []),
    ]);
    const refused = results.filter((r) => !r.allowed);
    if (refused.length) {
      throw problems.tooManyRequests(Math.max(...refused.map((r) => r.retryAfterSeconds)));
    }
  }

  return {
    async track(input: TrackRequest, caller: { user: AuthUser | undefined; ip: string }) {
      if (!caller.user && !input.sessionId) {
        throw problems.badRequest('Anonymous visitors must send a sessionId.', [
          { field: 'body.sessionId', message: 'is required without a bearer token' },
        ]);
      }
      const visitor = caller.user ? `u:${caller.user.id}` : `s:${input.sessionId}`;
      await enforceRate(visitor, caller.ip);

      const at = clock();
      const eventScoped = eventScopedTrackTypes.includes(input.type);
      const eventId = eventScoped ? input.eventId : undefined;
      const id = input.id ?? uuidv7();
      const event = eventId ? await directory.find(eventId) : undefined;
      // Accepted (a client cannot know), but what is said of an event or artist no one has is not counted.
      if (eventId && !event) return { accepted: true as const, id };
      if (!eventId && input.artistId && !(await directory.artistKnown(input.artistId))) {
        return { accepted: true as const, id };
      }
      const artistId = eventId ? event?.artistId : input.artistId;
      // The session id is the client's own choice: an address that keeps minting new ones counts as one.
      const unique =
        !caller.user &&
        artistId &&
        input.sessionId &&
        (await counters.sessionsFrom(caller.ip, dayKey(at), input.sessionId)) > SESSIONS_PER_ADDRESS
          ? `a:${caller.ip}`
          : visitor;
      const counted = await counters.record({
        // Only a client-given id can repeat; a fresh one needs no duplicate check.
        id: input.id,
        at,
        increments: incrementsForTrack(input.type, eventId, artistId),
        visitor: artistId ? { id: unique, artistIds: [artistId] } : undefined,
        activeEventId: eventId,
      });
      if (counted) {
        buffer.push({
          id,
          occurredAt: at,
          source: 'client',
          type: input.type,
          userId: caller.user?.id ?? null,
          sessionId: input.sessionId ?? null,
          eventId: eventId ?? null,
          artistId: artistId ?? null,
          path: input.path ?? null,
          amount: null,
          properties: { ...input.properties, ...(input.referrer ? { referrer: input.referrer } : {}) },
        });
      }
      return { accepted: true as const, id };
    },
  };
}

export type TrackingService = ReturnType<typeof trackingService>;
