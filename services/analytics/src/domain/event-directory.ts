import { canonicalId } from '@tiketi/contracts';
import { CACHE_LIMITS, type HttpClient, type Logger, memoryCache } from '@tiketi/kit';
import { z } from 'zod';
import type { EventProjectionRepository } from '../db/event-projection.repository.ts';

/** The part of the event service's `GET /api/events/:id` analytics reads; the artist in either shape. */
const fetchedEvent = z.object({
  id: canonicalId(),
  title: z.string().optional(),
  status: z.string().optional(),
  artistId: canonicalId().optional(),
  artist: z.object({ id: canonicalId() }).partial().optional(),
  saleOpensAt: z.iso.datetime({ offset: true }).optional(),
  saleClosesAt: z.iso.datetime({ offset: true }).optional(),
});

/**
 * Whether an event exists and which artist it belongs to, for counting and attributing views. Reads the
 * projection kept from `event.published`; an event not seen yet (published before analytics ran) is
 * fetched once from the event service and remembered.
 */
export function eventDirectory(deps: {
  projection: EventProjectionRepository;
  events: HttpClient;
  logger: Logger;
  now: () => Date;
}) {
  const cache = memoryCache<{ known: Known | undefined }>({
    ...CACHE_LIMITS.eventDirectory,
    now: () => deps.now().getTime(),
  });
  const artists = memoryCache<{ known: boolean }>({
    ...CACHE_LIMITS.eventDirectory,
    now: () => deps.now().getTime(),
  });

  /** The event service's word on an artist: undefined when it cannot be asked now. */
  async function fetchArtist(artistId: string): Promise<boolean | undefined> {
    try {
      const res = await deps.events.get<unknown>(`/api/artists/${artistId}`, { timeoutMs: 1000 });
      if (res.status === 200) return true;
      if (res.status === 404) return false;
      return undefined;
    } catch (error) {
      deps.logger.warn({ err: (error as Error).message, artistId }, 'artist lookup failed');
      return undefined;
    }
  }

  async function fetchEvent(eventId: string): Promise<Known | undefined> {
    try {
      const res = await deps.events.get<unknown>(`/api/events/${eventId}`, { timeoutMs: 1000 });
      if (res.status !== 200) return undefined;
      const parsed = fetchedEvent.safeParse(res.body);
      if (!parsed.success || parsed.data.id !== eventId) return undefined;
      const e = parsed.data;
      const artistId = e.artist?.id ?? e.artistId;
      if (!artistId) return { artistId: undefined };
      await deps.projection.fill({
        eventId,
        artistId,
        title: e.title ?? null,
        status: e.status ?? null,
        saleOpensAt: e.saleOpensAt ? new Date(e.saleOpensAt) : null,
        saleClosesAt: e.saleClosesAt ? new Date(e.saleClosesAt) : null,
        // Older than any message, so that a later event.updated still applies.
        sourceTime: new Date(0),
      });
      return { artistId };
    } catch (error) {
      deps.logger.warn({ err: (error as Error).message, eventId }, 'event lookup failed');
      return undefined;
    }
  }

  return {
    /**
     * The event with this id and its artist, or undefined when no event has it (or it cannot be looked
     * up now): what is tracked about an id no event has is not counted, so a made-up id in a URL never
     * shows up in the statistics nor takes a key in Redis.
     */
    async find(eventId: string): Promise<Known | undefined> {
      const cached = cache.get(eventId);
      if (cached) return cached.known;
      const stored = await deps.projection.find(eventId);
      const known = stored ? { artistId: stored.artistId ?? undefined } : await fetchEvent(eventId);
      // An unknown event is cached too, so a burst of views does not hammer the event service.
      cache.set(eventId, { known });
      return known;
    },

    /**
     * Whether the artist exists: one of their events was heard of, or the event service says so. An artist
     * that cannot be looked up now counts as unknown (as an event does), and is asked about again later.
     */
    async artistKnown(artistId: string): Promise<boolean> {
      const cached = artists.get(artistId);
      if (cached) return cached.known;
      const known = (await deps.projection.hasArtist(artistId)) || (await fetchArtist(artistId));
      if (known !== undefined) artists.set(artistId, { known });
      return known === true;
    },
  };
}

/** An event analytics knows of, with its artist when it has one. */
export type Known = { artistId: string | undefined };

export type EventDirectory = ReturnType<typeof eventDirectory>;
