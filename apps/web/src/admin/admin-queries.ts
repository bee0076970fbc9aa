import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { artistDto, eventSummaryDto, pageOf, venueDto, venueSummaryDto } from '@tiketi/contracts';
import { api } from '../lib/api.ts';
import { everyPage } from '../lib/queries.ts';

const eventsPage = pageOf(eventSummaryDto);
const artistsPage = pageOf(artistDto);
const venuesPage = pageOf(venueSummaryDto);
/** The most the event service lists at once; past that, the operator narrows it down by searching. */
const VENUE_PAGE = 100;

/** Every event, drafts too (the operator's token lets the event service show them), latest first. */
export function useAdminEvents() {
  return useQuery({
    queryKey: ['admin', 'events'],
    queryFn: ({ signal }) => everyPage('/api/events?sort=-date', eventsPage, signal),
  });
}

/** Every artist, for the event form's choice. */
export function useArtists() {
  return useQuery({
    queryKey: ['artists', 'all'],
    queryFn: ({ signal }) => everyPage('/api/artists', artistsPage, signal),
  });
}

/** A venue as the pickers show it: several halls share a name across cities. */
export const venueLabel = (v: { name: string; city: string }) => `${v.name} (${v.city})`;

/**
 * Venues by name, the first page of them matching `search` (the service looks in name, city and
 * address). The previous answer stays up while the next one loads, so the choices do not blink away
 * with each keystroke.
 */
export function useVenues(search = '') {
  const q = search.trim();
  return useQuery({
    queryKey: ['venues', q],
    queryFn: ({ signal }) => {
      const params = new URLSearchParams({ pageSize: String(VENUE_PAGE) });
      if (q) params.set('q', q);
      return api(`/api/venues?${params}`, { schema: venuesPage, signal });
    },
    placeholderData: keepPreviousData,
  });
}

/** One venue with its sections and the price-tier keys its seats use; none while `venueId` is unknown. */
export function useVenue(venueId: string | undefined) {
  return useQuery({
    queryKey: ['venue', venueId],
    queryFn: ({ signal }) => api(`/api/venues/${venueId}`, { schema: venueDto, signal }),
    enabled: venueId !== undefined,
  });
}
