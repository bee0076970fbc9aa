import { demoMedia, eventCatalogue } from '@tiketi/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventSeatId } from '../src/domain/events.service.ts';
import { seedDemo } from '../src/seed.ts';
import { type EventService, openEventService } from './helpers.ts';

describe('demo catalogue seed', () => {
  let svc: EventService;
  let first: string[];
  let second: string[];
  afterAll(() => svc.close());
  beforeAll(async () => {
    svc = await openEventService('event-seed');
    first = await seedDemo(svc.db, { redis: svc.infra.redis });
    second = await seedDemo(svc.db, { redis: svc.infra.redis });
  });

  it('seeds once: a second run adds and announces nothing', async () => {
    expect(first).toHaveLength(4);
    expect(second).toEqual([]);
    expect((await svc.app.inject({ url: '/api/events' })).json().total).toBe(4);
    expect(await svc.outbox('event.published')).toHaveLength(4);
  });

  it('has an on-sale event with over 1,000 seats and the waiting room on, announced seat by seat', async () => {
    const list = (await svc.app.inject({ url: '/api/events?status=on_sale' })).json();
    const iu = list.items.find((e: { title: string }) => e.title === 'IU — The Golden Hour');
    const detail = (await svc.app.inject({ url: `/api/events/${iu.id}` })).json();
    expect(detail).toMatchObject({ status: 'on_sale', waitingRoom: { enabled: true } });
    expect(detail.venue.seatCount).toBeGreaterThanOrEqual(1000);
    const published = (await svc.outbox('event.published')).map((d) =>
      eventCatalogue['event.published'].parse(d),
    );
    const announced = published.find((p) => p.eventId === iu.id);
    expect(announced?.seats).toHaveLength(detail.venue.seatCount);
    expect(announced?.status).toBe('on_sale');
  });

  it('has an on-sale event without the waiting room and upcoming ones', async () => {
    const onSale = (await svc.app.inject({ url: '/api/events?status=on_sale' })).json().items;
    const details = await Promise.all(
      onSale.map(async (e: { id: string }) => (await svc.app.inject({ url: `/api/events/${e.id}` })).json()),
    );
    expect(details.some((d) => !d.waitingRoom.enabled && d.venue.seatCount >= 100)).toBe(true);
    expect(
      (await svc.app.inject({ url: '/api/events?status=published' })).json().total,
    ).toBeGreaterThanOrEqual(1);
  });

  it('starts its concerts at 19:30 in Seoul and opens sales on the hour, whenever it first ran', async () => {
    const items = (await svc.app.inject({ url: '/api/events' })).json().items as { id: string }[];
    const seoul = (iso: string) => new Date(iso).toLocaleTimeString('en-GB', { timeZone: 'Asia/Seoul' });
    for (const { id } of items) {
      const e = (await svc.app.inject({ url: `/api/events/${id}` })).json();
      expect({ id, startsAt: seoul(e.startsAt), closes: seoul(e.saleClosesAt) }).toEqual({
        id,
        startsAt: '19:30:00',
        closes: '19:30:00',
      });
      expect(seoul(e.saleOpensAt)).toMatch(/^\d\d:00:00$/);
      expect(Date.parse(e.saleClosesAt)).toBeLessThan(Date.parse(e.startsAt));
    }
  });

  it('gives every event a poster served by the media service', async () => {
    const items = (await svc.app.inject({ url: '/api/events' })).json().items as {
      poster: { mediaId: string; urls: { large: string } } | null;
    }[];
    const ids = new Set<string>(Object.values(demoMedia));
    for (const item of items) {
      expect(ids.has(item.poster?.mediaId ?? '')).toBe(true);
      expect(item.poster?.urls.large).toBe(`/media/images/${item.poster?.mediaId}/large.webp`);
    }
  });

  it('keeps seat ids stable across seeds of a fresh database', async () => {
    const [one] = (await svc.outbox('event.published')).map((d) =>
      eventCatalogue['event.published'].parse(d),
    );
    const layout = (await svc.app.inject({ url: `/api/venues/${one?.venueId}/layout` })).json();
    const seat = layout.sections[0].rows[0].seats[0];
    // Derived from the venue id and the label (and, for the inventory, the event id), so any fresh
    // database gives the same ids.
    expect(seat.id).toMatch(/^[0-9a-f-]{8}-[0-9a-f-]{4}-5/);
    expect(one?.seats[0]?.id).toBe(eventSeatId(one?.eventId ?? '', seat.id));
  });
});
