import { useQuery } from '@tanstack/react-query';
import { artistDto, eventSummaryDto } from '@tiketi/contracts';
import { api } from '../lib/api.ts';
import { page } from '../lib/queries.ts';

const eventsPage = page(eventSummaryDto);
const artistsPage = page(artistDto);

/** Every event, drafts too (the operator's token lets the event service show them), latest first. */
export function useAdminEvents() {
  return useQuery({
    queryKey: ['admin', 'events'],
    queryFn: ({ signal }) => api('/api/events?pageSize=100&sort=-date', { schema: eventsPage, signal }),
  });
}

export function useArtists() {
  return useQuery({
    queryKey: ['artists', 'all'],
    queryFn: ({ signal }) => api('/api/artists?pageSize=100', { schema: artistsPage, signal }),
  });
}

/**
 * The venues the operator can pick, as "name (city)" by id. The event service has no venue listing, so
 * they are the venues of the events it lists.
 */
export function useKnownVenues(): Map<string, string> {
  const events = useAdminEvents();
  const venues = new Map<string, string>();
  for (const e of events.data?.items ?? []) venues.set(e.venue.id, `${e.venue.name} (${e.venue.city})`);
  return venues;
}
