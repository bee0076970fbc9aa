import {
  encodeRuns,
  type SeatAvailabilityDto,
  type SeatLayoutDto,
  type SeatMapDto,
  type SeatStatus,
} from '@tiketi/contracts';
import {
  CACHE_LIMITS,
  type EncodedBody,
  encodedBody,
  HttpProblem,
  memoryCache,
  problems,
  sharedRuns,
} from '@tiketi/kit';
import {
  layoutVersionOf,
  type SeatCache,
  type SeatLayout,
  type SeatState,
  type StatesHead,
} from '../cache/seat-cache.ts';
import type { EventRepository } from '../db/event.repository.ts';
import type { SaleInfoSource } from './sale-info.ts';

/** How long a caller waits before asking again for a seat map whose seats are still arriving. */
const NOT_READY_RETRY_SECONDS = 1;

/** A layout version ready to send, with the seat order its availability follows. */
type LayoutCopy = { version: string; order: { name: string; ids: string[] }[]; body: EncodedBody };
type AvailabilityCopy = { generation: string | undefined; layoutVersion: string; body: EncodedBody };
type FullMapCopy = { head: StatesHead | undefined; body: EncodedBody };

const stripState = (seats: SeatState[]): SeatLayout[] =>
  seats.map(({ status: _s, version: _v, ...layout }) => layout);

function layoutCopy(eventId: string, layout: SeatLayout[], version: string): LayoutCopy {
  const tiers: SeatLayoutDto['tiers'] = [];
  const tierIndex = new Map<string, number>();
  const sections = new Map<string, SeatLayoutDto['sections'][number]>();
  for (const seat of layout) {
    const key = `${seat.tierId}:${seat.price}`;
    let tier = tierIndex.get(key);
    if (tier === undefined) {
      tier = tiers.push({ id: seat.tierId, price: seat.price }) - 1;
      tierIndex.set(key, tier);
    }
    let section = sections.get(seat.section);
    if (!section) {
      section = { name: seat.section, ids: [], labels: [], rows: [], numbers: [], x: [], y: [], tiers: [] };
      sections.set(seat.section, section);
    }
    section.ids.push(seat.id);
    section.labels.push(seat.label);
    section.rows.push(seat.row);
    section.numbers.push(seat.number);
    section.x.push(seat.x);
    section.y.push(seat.y);
    section.tiers.push(tier);
  }
  const dto: SeatLayoutDto = { eventId, version, tiers, sections: [...sections.values()] };
  return {
    version,
    order: dto.sections.map((s) => ({ name: s.name, ids: s.ids })),
    body: encodedBody(Buffer.from(JSON.stringify(dto))),
  };
}

function availabilityCopy(
  eventId: string,
  layout: LayoutCopy,
  statusOf: (seatId: string) => SeatStatus | undefined,
  generation: string | undefined,
): AvailabilityCopy | undefined {
  const counts = { available: 0, held: 0, sold: 0 };
  const sections: SeatAvailabilityDto['sections'] = [];
  for (const section of layout.order) {
    const statuses: SeatStatus[] = [];
    for (const id of section.ids) {
      const status = statusOf(id);
      if (!status) return undefined;
      counts[status]++;
      statuses.push(status);
    }
    sections.push({ name: section.name, runs: encodeRuns(statuses) });
  }
  const dto: SeatAvailabilityDto = { eventId, layoutVersion: layout.version, counts, sections };
  return { generation, layoutVersion: layout.version, body: encodedBody(Buffer.from(JSON.stringify(dto))) };
}

function fullMapBody(eventId: string, seats: SeatState[]): EncodedBody {
  const counts = { available: 0, held: 0, sold: 0 };
  const dto: SeatMapDto = {
    eventId,
    counts,
    seats: seats.map((s) => {
      counts[s.status]++;
      const { id, label, section, row, number, x, y, tierId, price, status } = s;
      return { id, label, section, row, number, x, y, tierId, price, status };
    }),
  };
  return encodedBody(Buffer.from(JSON.stringify(dto)));
}

/**
 * The seat map: from the Redis cache, rebuilt from the database when the cache cannot answer. It never
 * answers an empty map: an event is published with at least one seat, and its seats commit with its row.
 *
 * Besides the whole map, it answers the map in two parts: the layout (by version, which never changes)
 * and the availability, kept ready serialised and compressed in this instance and reused while the seat
 * cache's generation says nothing changed, so a crowd polling one event costs one small Redis read each.
 */
export function seatMapService(deps: { events: EventRepository; cache: SeatCache; sales: SaleInfoSource }) {
  const { events, cache, sales } = deps;
  const layouts = memoryCache<LayoutCopy>({
    ...CACHE_LIMITS.seatLayouts,
    sizeOf: (copy) => copy.body.in('identity').length,
  });
  const availabilities = memoryCache<AvailabilityCopy>({
    ...CACHE_LIMITS.seatAvailability,
    sizeOf: (copy) => copy.body.in('identity').length,
  });
  // One build per event and generation at a time: a crowd arriving together waits for the same one.
  const building = sharedRuns<AvailabilityCopy>();
  const fullMaps = memoryCache<FullMapCopy>({
    ...CACHE_LIMITS.seatMaps,
    sizeOf: (copy) => copy.body.in('identity').length,
  });
  // At most one whole map built per event at a time (each is every seat as objects, then ~200 bytes a
  // seat of JSON): `seq` orders builds against arrivals, so a caller never gets a map read before it came.
  const fullBuilds = new Map<string, { seq: number; done: Promise<EncodedBody> }>();
  let clock = 0;

  async function fromDatabase(eventId: string): Promise<SeatState[]> {
    const rows = await events.seatsOf(eventId);
    return rows.map(({ rowName, ...seat }) => ({ ...seat, row: rowName }));
  }

  /**
   * No seats here yet. The event may be unknown (404), or known (here from `event.updated`, or at the
   * event service) with its `event.published` still on its way: then the caller asks again shortly.
   * The publication may also have committed just after the seats were read, so they are read once more.
   */
  async function whileArriving(eventId: string): Promise<SeatState[]> {
    const sale = await sales.get(eventId);
    if (!sale || sale.status === 'draft') throw problems.notFound('The event');
    const seats = await fromDatabase(eventId);
    if (seats.length > 0) return seats;
    throw new HttpProblem(
      503,
      'SEAT_MAP_NOT_READY',
      "The event's seats are still being set up; please try again in a moment.",
      { headers: { 'retry-after': String(NOT_READY_RETRY_SECONDS), 'cache-control': 'no-store' } },
    );
  }

  async function seats(eventId: string): Promise<SeatState[]> {
    const cached = await cache.read(eventId);
    if (cached) return cached;
    let all = await fromDatabase(eventId);
    if (all.length === 0) all = await whileArriving(eventId);
    await cache.store(eventId, all);
    return all;
  }

  /** The layout of the version the cache holds, from this instance's copy or built from the cache. */
  async function cachedLayout(eventId: string, head: StatesHead): Promise<LayoutCopy | undefined> {
    const kept = layouts.get(eventId);
    if (kept?.version === head.layoutVersion) return kept;
    const layout = await cache.layout(eventId);
    if (!layout || layoutVersionOf(layout) !== head.layoutVersion) return undefined;
    const copy = layoutCopy(eventId, layout, head.layoutVersion);
    layouts.set(eventId, copy);
    return copy;
  }

  /** Straight from the seats (rebuilding the cache on the way), when the cache cannot answer whole. */
  async function uncached(eventId: string) {
    const all = await seats(eventId);
    const layout = stripState(all);
    const copy = layoutCopy(eventId, layout, layoutVersionOf(layout));
    const status = new Map(all.map((s) => [s.id, s.status]));
    return { layout: copy, availability: availabilityCopy(eventId, copy, (id) => status.get(id), undefined) };
  }

  async function buildAvailability(eventId: string): Promise<AvailabilityCopy> {
    const read = await cache.states(eventId);
    const layout = read && (await cachedLayout(eventId, read.head));
    const copy = read && layout && availabilityCopy(eventId, layout, read.states, read.head.generation);
    if (copy) {
      availabilities.set(eventId, copy);
      return copy;
    }
    const fallback = (await uncached(eventId)).availability;
    if (!fallback) throw new Error(`the seats of event ${eventId} do not match their own layout`);
    return fallback;
  }

  async function buildFullMap(eventId: string): Promise<EncodedBody> {
    // The head first: the seats read after it are of its generation or newer, never older.
    const head = await cache.head(eventId);
    const body = fullMapBody(eventId, await seats(eventId));
    if (head) fullMaps.set(eventId, { head, body });
    return body;
  }

  return {
    seats,

    /**
     * Every seat with its status, serialised once per seat-cache generation and shared by every caller
     * that asks meanwhile: 64 readers of a 60,000-seat map no longer each build and serialise every seat.
     */
    async fullMap(eventId: string): Promise<EncodedBody> {
      const arrived = ++clock;
      for (;;) {
        const head = await cache.head(eventId);
        const kept = head && fullMaps.get(eventId);
        if (
          head &&
          kept?.head &&
          kept.head.generation === head.generation &&
          kept.head.layoutVersion === head.layoutVersion
        ) {
          return kept.body;
        }
        const running = fullBuilds.get(eventId);
        if (running && running.seq > arrived) return running.done;
        if (running) {
          await running.done.catch(() => undefined);
          continue;
        }
        const build = { seq: ++clock, done: buildFullMap(eventId) };
        fullBuilds.set(eventId, build);
        void build.done
          .catch(() => undefined)
          .finally(() => {
            if (fullBuilds.get(eventId) === build) fullBuilds.delete(eventId);
          });
        return build.done;
      }
    },

    /** The layout of `version`, which must be the event's current one (404 for any other). */
    async layout(eventId: string, version: string): Promise<EncodedBody> {
      let head = await cache.head(eventId);
      if (!head) {
        await seats(eventId);
        head = await cache.head(eventId);
      }
      const copy = (head && (await cachedLayout(eventId, head))) || (await uncached(eventId)).layout;
      if (copy.version !== version) {
        throw new HttpProblem(
          404,
          'SEAT_LAYOUT_NOT_FOUND',
          `Layout version ${version} is not this event's; ask its availability for the current one.`,
        );
      }
      return copy.body;
    },

    /** The status of every seat, per section in layout order, current as of the seat cache. */
    async availability(eventId: string): Promise<EncodedBody> {
      const head = await cache.head(eventId);
      const kept = head && availabilities.get(eventId);
      if (kept && kept.generation === head.generation && kept.layoutVersion === head.layoutVersion) {
        return kept.body;
      }
      return (await building.run(`${eventId} ${head?.generation}`, () => buildAvailability(eventId))).body;
    },

    async stats(eventId: string) {
      const { counts, known } = await events.stats(eventId);
      if (!known && !(await events.exists(eventId))) throw problems.notFound('The event');
      return counts;
    },
  };
}

export type SeatMapService = ReturnType<typeof seatMapService>;
