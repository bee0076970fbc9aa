import type { VenueDto, VenueLayoutDto, VenueSummaryDto } from '@tiketi/contracts';
import { HttpProblem, howMany, problems } from '@tiketi/kit';
import { v7 as uuidv7 } from 'uuid';
import type { CatalogueCache } from '../db/catalogue.cache.ts';
import { standingTerms, type VenueInput, type VenueRepository } from '../db/venue.repository.ts';
import { type LayoutSectionInput, planLayout } from './layout.ts';

export function venuesService(deps: { venues: VenueRepository; cache: CatalogueCache }) {
  const { venues, cache } = deps;

  async function load(id: string): Promise<VenueDto | null> {
    const venue = await venues.find(id);
    if (!venue) return null;
    const [sections, tierKeys, eventCount] = await Promise.all([
      venues.sectionSummaries(id),
      venues.tierKeys(id),
      venues.eventCount(id),
    ]);
    return {
      id: venue.id,
      name: venue.name,
      city: venue.city,
      address: venue.address,
      seatCount: venue.seatCount,
      tierKeys,
      sections,
      eventCount,
      createdAt: venue.createdAt.toISOString(),
      updatedAt: venue.updatedAt.toISOString(),
    };
  }

  async function get(id: string): Promise<VenueDto> {
    const dto = await cache.read(`venue:${id}`, () => load(id));
    if (!dto) throw problems.notFound('Venue');
    return dto;
  }

  return {
    get,

    list(query: { q?: string; city?: string; page: number; pageSize: number }) {
      return cache.read(`venues:${JSON.stringify(query)}`, async () => {
        const { items, total } = await venues.list({
          q: query.q,
          city: query.city,
          limit: query.pageSize,
          offset: (query.page - 1) * query.pageSize,
        });
        const rows: VenueSummaryDto[] = items.map((v) => ({
          ...v,
          createdAt: v.createdAt.toISOString(),
          updatedAt: v.updatedAt.toISOString(),
        }));
        return { items: rows, page: query.page, pageSize: query.pageSize, total };
      });
    },

    /** The seat map rarely changes and is large: cached longer than other reads. */
    async layout(id: string): Promise<VenueLayoutDto> {
      const dto = await cache.read(
        `venue-layout:${id}`,
        async () => {
          const venue = await venues.find(id);
          if (!venue) return null;
          return toLayout(id, await venues.seats(id));
        },
        600,
      );
      if (!dto) throw problems.notFound('Venue');
      return dto;
    },

    async create(input: VenueInput & { sections: LayoutSectionInput[] }): Promise<VenueDto> {
      const layout = planLayout(input.sections);
      const id = uuidv7();
      const { sections: _, ...venue } = input;
      await venues.create(id, venue, layout);
      await cache.invalidate();
      return get(id);
    },

    /** A new seat layout, for a venue no event uses yet: events are sold on the layout's seat ids. */
    async replaceLayout(id: string, sections: LayoutSectionInput[]): Promise<VenueDto> {
      const outcome = await venues.replaceLayout(id, planLayout(sections));
      if (outcome === 'missing') throw problems.notFound('Venue');
      if (outcome !== 'replaced') throw venueInUse(outcome.inUse, 'its seat layout stays as it is');
      await cache.invalidate();
      return get(id);
    },

    /** Removes a venue no event uses. */
    async remove(id: string): Promise<void> {
      const outcome = await venues.remove(id);
      if (outcome === 'missing') throw problems.notFound('Venue');
      if (outcome !== 'deleted') throw venueInUse(outcome.inUse, 'it cannot be deleted');
      await cache.invalidate();
    },

    /** Name and address only: the layout has its own route (`replaceLayout`). */
    async update(id: string, input: Partial<VenueInput>): Promise<VenueDto> {
      if (!(await venues.update(id, input))) throw problems.notFound('Venue');
      await cache.invalidate();
      return get(id);
    },
  };
}

function venueInUse(eventCount: number, consequence: string): HttpProblem {
  return new HttpProblem(
    409,
    'VENUE_IN_USE',
    `The venue has ${howMany(eventCount, 'event', 'events')} on its seats: ${consequence}.`,
    { extra: { eventCount } },
  );
}

type SeatRow = Awaited<ReturnType<VenueRepository['seats']>>[number];

export function toLayout(venueId: string, seats: SeatRow[]): VenueLayoutDto {
  const sections: VenueLayoutDto['sections'] = [];
  for (const seat of seats) {
    let section = sections.at(-1);
    if (section?.id !== seat.sectionId) {
      section = {
        id: seat.sectionId,
        name: seat.sectionName,
        standing: standingTerms(seat.standingCapacity, seat.entryOrder),
        rows: [],
      };
      sections.push(section);
    }
    let row = section.rows.at(-1);
    if (row?.label !== seat.rowLabel) {
      row = { label: seat.rowLabel, seats: [] };
      section.rows.push(row);
    }
    row.seats.push({
      id: seat.id,
      label: seat.label,
      number: seat.number,
      x: seat.x,
      y: seat.y,
      tierKey: seat.tierKey,
    });
  }
  return { venueId, seatCount: seats.length, sections };
}

export type VenuesService = ReturnType<typeof venuesService>;
