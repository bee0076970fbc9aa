import { eventDetailDto, eventSaleInfo } from '@tiketi/contracts';
import {
  CACHE_LIMITS,
  type HttpClient,
  HttpProblem,
  memoryCache,
  problems,
  sharedRuns,
  upstreamProblem,
} from '@tiketi/kit';
import type { EventRepository } from '../db/event.repository.ts';
import type { EventStatus, WaitingRoom } from '../db/schema.ts';

export type SaleInfo = {
  eventId: string;
  status: EventStatus;
  saleOpensAt: Date;
  saleClosesAt: Date;
  perUserLimit: number;
  waitingRoom: WaitingRoom;
};

/**
 * The sale rule: an event sells only while published or on sale (never as a draft, cancelled or ended),
 * and only within [saleOpensAt, saleClosesAt).
 */
export function assertOnSale(sale: SaleInfo, now: Date): void {
  if (sale.status !== 'published' && sale.status !== 'on_sale') {
    throw new HttpProblem(409, 'EVENT_NOT_ON_SALE', `This event is not on sale (it is ${sale.status}).`);
  }
  if (now < sale.saleOpensAt) {
    throw new HttpProblem(409, 'SALE_NOT_OPEN', `The sale opens at ${sale.saleOpensAt.toISOString()}.`);
  }
  if (now >= sale.saleClosesAt) {
    throw new HttpProblem(409, 'SALE_CLOSED', 'The sale of this event has closed.');
  }
}

/**
 * Sale settings of an event: from the local projection, or — when `event.published` has not arrived —
 * from the event service. Each instance reuses an answer for a moment, which spares the hot path a
 * query per hold during a drop; the holds that arrive together for an event not read yet (the opening
 * second of a sale) share one read.
 */
export function saleInfoSource(options: {
  events: EventRepository;
  eventService: HttpClient;
  cacheMs: number;
}) {
  // An event not found is remembered too (as `info: undefined`), so a flood for a wrong id costs no more.
  const memo = memoryCache<{ info: SaleInfo | undefined }>({
    ...CACHE_LIMITS.saleInfo,
    ttlMs: options.cacheMs,
  });

  async function fromEventService(eventId: string): Promise<SaleInfo | undefined> {
    const res = await options.eventService.get<unknown>(`/api/events/${eventId}`);
    if (res.status === 404) return undefined;
    const parsed = eventSaleInfo.safeParse(res.body);
    if (res.status !== 200 || !parsed.success) {
      throw problems.unavailable(`The event service answered ${res.status} for this event.`);
    }
    const e = parsed.data;
    return {
      eventId: e.id,
      status: e.status,
      saleOpensAt: new Date(e.saleOpensAt),
      saleClosesAt: new Date(e.saleClosesAt),
      perUserLimit: e.perUserLimit,
      waitingRoom: e.waitingRoom,
    };
  }

  async function read(eventId: string): Promise<SaleInfo | undefined> {
    const row = await options.events.findSaleInfo(eventId);
    return row
      ? {
          eventId: row.id,
          status: row.status,
          saleOpensAt: row.saleOpensAt,
          saleClosesAt: row.saleClosesAt,
          perUserLimit: row.perUserLimit,
          waitingRoom: row.waitingRoom,
        }
      : fromEventService(eventId);
  }

  // Reads under way, one per event. A read that began before a change of the event (`forget`) is neither
  // shared with the callers after it nor remembered.
  const reading = sharedRuns<SaleInfo | undefined>();

  return {
    get(eventId: string): Promise<SaleInfo | undefined> {
      const hit = memo.get(eventId);
      if (hit) return Promise.resolve(hit.info);
      return reading.run(
        eventId,
        () => read(eventId),
        (info) => memo.set(eventId, { info }),
      );
    },
    forget(eventId: string) {
      memo.delete(eventId);
      reading.forget(eventId);
    },
  };
}

export type SaleInfoSource = ReturnType<typeof saleInfoSource>;

const eventSheet = eventDetailDto
  .pick({ title: true, startsAt: true })
  .extend({ venue: eventDetailDto.shape.venue.pick({ name: true }) });

/**
 * What a printed ticket says of its event (title, time, venue), asked of the event service, which owns
 * venues: a ticket is printed rarely, so it is not worth a projection.
 */
export function eventSheetSource(eventService: HttpClient) {
  return async (eventId: string) => {
    const res = await eventService.get<unknown>(`/api/events/${eventId}`);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw upstreamProblem('event service', res);
    const e = eventSheet.parse(res.body);
    return { title: e.title, startsAt: new Date(e.startsAt), venueName: e.venue.name };
  };
}
