import { eventCatalogue } from '@tiketi/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventSeatId } from '../src/domain/events.service.ts';
import { daysFromNow, type EventService, eventPayload, openEventService } from './helpers.ts';

describe('catalogue administration', () => {
  let svc: EventService;
  beforeAll(async () => {
    svc = await openEventService('event-catalogue');
  });
  afterAll(() => svc.close());
  const as = (authorization: string) => ({ authorization });

  let artistId = '';
  let venueId = '';
  let eventId = '';

  it('lets an admin create an artist, a 1,200-seat venue and an event, then publish it', async () => {
    const artist = await svc.app.inject({
      method: 'POST',
      url: '/api/artists',
      headers: as(svc.admin),
      payload: { name: 'IU', genre: 'K-pop', bio: 'Singer-songwriter.' },
    });
    expect(artist.statusCode).toBe(201);
    artistId = artist.json().id;

    // Five sections listed row by row with a seat count, and one row listed seat by seat.
    const sections = ['A', 'B', 'C', 'D', 'E'].map((name, i) => ({
      name,
      rows: Array.from({ length: 10 }, (_, r) => ({
        label: String(r + 1),
        seatCount: 24,
        tierKey: i < 2 ? 'VIP' : 'R',
      })),
    }));
    sections.push({
      name: 'F',
      rows: [
        {
          label: '1',
          seats: [
            { number: 1, x: 900, y: 10, tierKey: 'R', label: 'F-1' },
            { number: 2, x: 910, y: 10, tierKey: 'R', label: 'F-2' },
          ],
        } as never,
      ],
    });
    const venue = await svc.app.inject({
      method: 'POST',
      url: '/api/venues',
      headers: as(svc.admin),
      payload: { name: 'KSPO Dome', city: 'Seoul', address: '424 Olympic-ro', sections },
    });
    expect(venue.statusCode).toBe(201);
    expect(venue.json()).toMatchObject({ seatCount: 1202, tierKeys: ['R', 'VIP'] });
    expect(venue.json().sections[0]).toMatchObject({ name: 'A', rowCount: 10, seatCount: 240 });
    venueId = venue.json().id;

    const created = await svc.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: as(svc.admin),
      payload: {
        artistId,
        venueId,
        title: 'IU — The Golden Hour',
        startsAt: daysFromNow(30),
        saleOpensAt: daysFromNow(-1),
        saleClosesAt: daysFromNow(29),
        perUserLimit: 4,
        waitingRoom: { enabled: true, admissionRatePerMinute: 300, maxActiveShoppers: 200 },
        priceTiers: [
          { key: 'VIP', name: 'VIP', price: 165_000 },
          { key: 'R', name: 'R', price: 143_000 },
        ],
      },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().status).toBe('draft');
    eventId = created.json().id;

    // A draft is invisible to the public.
    expect((await svc.app.inject({ url: `/api/events/${eventId}` })).statusCode).toBe(404);
    expect((await svc.app.inject({ url: '/api/events' })).json().total).toBe(0);

    const published = await svc.app.inject({
      method: 'POST',
      url: `/api/events/${eventId}/publish`,
      headers: as(svc.admin),
    });
    expect(published.statusCode).toBe(200);
    expect(published.json().status).toBe('on_sale');
  });

  it('shows the published event in the public list and detail with venue, tiers and sale info', async () => {
    const list = await svc.app.inject({ url: '/api/events' });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ total: 1, page: 1, pageSize: 20 });
    expect(list.json().items[0]).toMatchObject({
      id: eventId,
      title: 'IU — The Golden Hour',
      status: 'on_sale',
      artist: { id: artistId, name: 'IU' },
      venue: { id: venueId, name: 'KSPO Dome', city: 'Seoul' },
      priceRange: { min: 143_000, max: 165_000 },
      waitingRoom: { enabled: true },
      poster: null,
    });

    const detail = await svc.app.inject({ url: `/api/events/${eventId}` });
    expect(detail.statusCode).toBe(200);
    const body = detail.json();
    expect(body).toMatchObject({
      id: eventId,
      status: 'on_sale',
      perUserLimit: 4,
      waitingRoom: { enabled: true, admissionRatePerMinute: 300, maxActiveShoppers: 200 },
      artist: { id: artistId, name: 'IU' },
      venue: { id: venueId, seatCount: 1202 },
      layoutUrl: `/api/venues/${venueId}/layout`,
    });
    expect(body.priceTiers).toEqual([
      expect.objectContaining({ key: 'VIP', price: 165_000, seatCount: 480 }),
      expect.objectContaining({ key: 'R', price: 143_000, seatCount: 722 }),
    ]);

    const layout = await svc.app.inject({ url: body.layoutUrl });
    expect(layout.statusCode).toBe(200);
    expect(layout.json().seatCount).toBe(1202);
    expect(layout.json().sections[0].rows[0].seats[11]).toMatchObject({ label: 'A-1-12', number: 12 });
    expect(layout.json().sections[5].rows[0].seats.map((s: { label: string }) => s.label)).toEqual([
      'F-1',
      'F-2',
    ]);
  });

  it('announces every seat with a stable id and its tier in event.published through the outbox', async () => {
    const [data] = await svc.outbox('event.published');
    const payload = eventCatalogue['event.published'].parse(data);
    expect(payload).toMatchObject({
      eventId,
      status: 'on_sale',
      artistId,
      venueId,
      perUserLimit: 4,
      waitlistOfferMinutes: 30,
    });
    expect(payload.seats).toHaveLength(1202);
    expect(new Set(payload.seats.map((s) => s.id)).size).toBe(1202);
    const tiers = new Map(payload.priceTiers.map((t) => [t.id, t.name]));
    const a12 = payload.seats.find((s) => s.label === 'A-1-12');
    expect(a12).toMatchObject({ section: 'A', row: '1', number: 12 });
    expect(tiers.get(a12?.tierId ?? '')).toBe('VIP');
    expect(payload.seats.every((s) => tiers.has(s.tierId))).toBe(true);

    // Seat ids are the event's own, derived from the venue seat: a second event at the venue sells it again.
    const layout = (await svc.app.inject({ url: `/api/venues/${venueId}/layout` })).json();
    const venueSeatId = layout.sections[0].rows[0].seats[11].id;
    expect(a12?.id).not.toBe(venueSeatId);
    expect(a12?.id).toBe(eventSeatId(eventId, venueSeatId));
  });

  it('publishes event.updated when a published event changes, and locks its prices', async () => {
    const tooShort = await svc.app.inject({
      method: 'PATCH',
      url: `/api/events/${eventId}`,
      headers: as(svc.admin),
      payload: { waitlistOfferMinutes: 1 },
    });
    expect(tooShort.statusCode).toBe(400);
    expect(tooShort.json().errors).toEqual([expect.objectContaining({ field: 'body.waitlistOfferMinutes' })]);
    const changed = await svc.app.inject({
      method: 'PATCH',
      url: `/api/events/${eventId}`,
      headers: as(svc.admin),
      payload: { perUserLimit: 2, waitlistOfferMinutes: 45 },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ perUserLimit: 2, waitlistOfferMinutes: 45 });
    expect(await svc.outbox('event.updated')).toEqual([
      expect.objectContaining({ eventId, perUserLimit: 2, waitlistOfferMinutes: 45, status: 'on_sale' }),
    ]);

    const repriced = await svc.app.inject({
      method: 'PATCH',
      url: `/api/events/${eventId}`,
      headers: as(svc.admin),
      payload: { priceTiers: [{ key: 'VIP', name: 'VIP', price: 1000 }] },
    });
    expect(repriced.statusCode).toBe(409);
    expect(repriced.json().code).toBe('EVENT_PUBLISHED');
    // None of those moved the concert.
    expect(await svc.outbox('event.rescheduled')).toEqual([]);
  });

  it('announces event.rescheduled when a published concert moves, with the time it had', async () => {
    const before = (await svc.app.inject({ url: `/api/events/${eventId}` })).json();
    const startsAt = new Date(new Date(before.startsAt).getTime() + 86_400_000).toISOString();
    const moved = await svc.app.inject({
      method: 'PATCH',
      url: `/api/events/${eventId}`,
      headers: as(svc.admin),
      payload: { startsAt },
    });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(await svc.outbox('event.rescheduled')).toEqual([
      { eventId, title: before.title, previousStartsAt: before.startsAt, startsAt },
    ]);
    // The same time again moves nothing.
    await svc.app.inject({
      method: 'PATCH',
      url: `/api/events/${eventId}`,
      headers: as(svc.admin),
      payload: { startsAt },
    });
    expect(await svc.outbox('event.rescheduled')).toHaveLength(1);
  });

  // Payloads are valid, so only the caller decides the answer.
  it('refuses writes from a signed-in user (403) and from anonymous callers (401)', async () => {
    const writes = [
      { method: 'POST' as const, url: '/api/artists', payload: { name: 'X' } },
      { method: 'PATCH' as const, url: `/api/artists/${artistId}`, payload: { name: 'X' } },
      { method: 'DELETE' as const, url: `/api/artists/${artistId}` },
      {
        method: 'POST' as const,
        url: '/api/venues',
        payload: {
          name: 'X',
          city: 'Y',
          sections: [{ name: 'A', rows: [{ label: '1', seatCount: 1, tierKey: 'R' }] }],
        },
      },
      { method: 'PATCH' as const, url: `/api/venues/${venueId}`, payload: { name: 'X' } },
      {
        method: 'POST' as const,
        url: '/api/events',
        payload: eventPayload({ artistId, venueId }, { priceTiers: [{ key: 'R', name: 'R', price: 1000 }] }),
      },
      { method: 'PATCH' as const, url: `/api/events/${eventId}`, payload: { title: 'Hacked' } },
      { method: 'POST' as const, url: `/api/events/${eventId}/publish` },
      { method: 'POST' as const, url: `/api/events/${eventId}/cancel`, payload: { reason: 'x' } },
      { method: 'PUT' as const, url: `/api/events/${eventId}/poster`, payload: { mediaId: null } },
    ];
    for (const write of writes) {
      const asUser = await svc.app.inject({ ...write, headers: as(svc.user) });
      expect(asUser.statusCode, `${write.method} ${write.url}`).toBe(403);
      const anonymous = await svc.app.inject(write);
      expect(anonymous.statusCode, `${write.method} ${write.url}`).toBe(401);
    }
    const detail = await svc.app.inject({ url: `/api/events/${eventId}` });
    expect(detail.json().title).toBe('IU — The Golden Hour');
    expect((await svc.app.inject({ url: `/api/artists/${artistId}` })).json().name).toBe('IU');
  });

  it('cancels a published event and announces event.cancelled', async () => {
    const res = await svc.app.inject({
      method: 'POST',
      url: `/api/events/${eventId}/cancel`,
      headers: as(svc.admin),
      payload: { reason: 'Artist illness' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled', cancelledAt: expect.any(String) });
    expect(await svc.outbox('event.cancelled')).toEqual([{ eventId, reason: 'Artist illness' }]);
    // Fans read why on the event page.
    const shown = await svc.app.inject({ url: `/api/events/${eventId}` });
    expect(shown.json()).toMatchObject({ status: 'cancelled', cancelReason: 'Artist illness' });
    const again = await svc.app.inject({
      method: 'PATCH',
      url: `/api/events/${eventId}`,
      headers: as(svc.admin),
      payload: { title: 'Back on' },
    });
    expect(again.statusCode).toBe(409);
  });

  it('keeps an artist with events from being deleted', async () => {
    const res = await svc.app.inject({
      method: 'DELETE',
      url: `/api/artists/${artistId}`,
      headers: as(svc.admin),
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('ARTIST_IN_USE');
  });
});
