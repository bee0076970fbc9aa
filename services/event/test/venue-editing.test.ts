import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArtistAndVenue, daysFromNow, type EventService, openEventService } from './helpers.ts';

/*
 * An operator edits and removes venues: a venue no event uses takes a new seat layout or goes away; a
 * venue with events keeps its layout (its events are sold on those seats) and stays, each refusal saying so.
 */
describe('editing and deleting venues', () => {
  let svc: EventService;
  let admin: { authorization: string };
  let used: { artistId: string; venueId: string };
  let free: { artistId: string; venueId: string };
  afterAll(() => svc.close());
  const layout = (seatCount: number) => ({
    sections: [
      { name: 'Floor', rows: [{ label: '1', seatCount, tierKey: 'R' }] },
      { name: 'Balcony', rows: [{ label: '1', seatCount: 2, tierKey: 'S' }] },
    ],
  });
  beforeAll(async () => {
    svc = await openEventService('event-venue-editing');
    admin = { authorization: svc.admin };

    used = await createArtistAndVenue(svc, 'Busy Band');
    const event = await svc.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: admin,
      payload: {
        artistId: used.artistId,
        venueId: used.venueId,
        title: 'Busy Band Live',
        startsAt: daysFromNow(30),
        saleOpensAt: daysFromNow(-1),
        saleClosesAt: daysFromNow(29),
        perUserLimit: 4,
        priceTiers: [{ key: 'R', name: 'R', price: 50_000 }],
      },
    });
    expect(event.statusCode, event.body).toBe(201);
    free = await createArtistAndVenue(svc, 'Quiet Quartet');
  });

  it('says how many events a venue has', async () => {
    const busy = await svc.app.inject({ url: `/api/venues/${used.venueId}` });
    expect(busy.json()).toMatchObject({ eventCount: 1, seatCount: 10 });
    expect((await svc.app.inject({ url: `/api/venues/${free.venueId}` })).json().eventCount).toBe(0);
  });

  it('replaces the layout of a venue without events', async () => {
    const res = await svc.app.inject({
      method: 'PUT',
      url: `/api/venues/${free.venueId}/layout`,
      headers: admin,
      payload: layout(3),
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ seatCount: 5, tierKeys: ['R', 'S'] });
    const seats = await svc.app.inject({ url: `/api/venues/${free.venueId}/layout` });
    expect(seats.json().sections.map((s: { name: string }) => s.name)).toEqual(['Floor', 'Balcony']);
  });

  it('refuses a new layout for a venue with events, and keeps its seats', async () => {
    const before = (await svc.app.inject({ url: `/api/venues/${used.venueId}/layout` })).json();
    const res = await svc.app.inject({
      method: 'PUT',
      url: `/api/venues/${used.venueId}/layout`,
      headers: admin,
      payload: layout(3),
    });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'VENUE_IN_USE', eventCount: 1 });
    expect((await svc.app.inject({ url: `/api/venues/${used.venueId}/layout` })).json()).toEqual(before);
  });

  it('still renames a venue with events', async () => {
    const res = await svc.app.inject({
      method: 'PATCH',
      url: `/api/venues/${used.venueId}`,
      headers: admin,
      payload: { name: 'Busy Band Arena' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ name: 'Busy Band Arena', seatCount: 10 });
  });

  it('refuses to delete a venue with events', async () => {
    const res = await svc.app.inject({
      method: 'DELETE',
      url: `/api/venues/${used.venueId}`,
      headers: admin,
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'VENUE_IN_USE', eventCount: 1 });
    expect((await svc.app.inject({ url: `/api/venues/${used.venueId}` })).statusCode).toBe(200);
  });

  it('deletes a venue without events, seats and all', async () => {
    const res = await svc.app.inject({
      method: 'DELETE',
      url: `/api/venues/${free.venueId}`,
      headers: admin,
    });
    expect(res.statusCode, res.body).toBe(204);
    expect((await svc.app.inject({ url: `/api/venues/${free.venueId}` })).statusCode).toBe(404);
    expect((await svc.app.inject({ url: `/api/venues/${free.venueId}/layout` })).statusCode).toBe(404);
    const again = await svc.app.inject({
      method: 'DELETE',
      url: `/api/venues/${free.venueId}`,
      headers: admin,
    });
    expect(again.statusCode).toBe(404);
  });

  it('lets only an operator change or delete a venue', async () => {
    const user = { authorization: svc.user };
    const put = await svc.app.inject({
      method: 'PUT',
      url: `/api/venues/${used.venueId}/layout`,
      headers: user,
      payload: layout(3),
    });
    expect(put.statusCode).toBe(403);
    const del = await svc.app.inject({ method: 'DELETE', url: `/api/venues/${used.venueId}`, headers: user });
    expect(del.statusCode).toBe(403);
  });
});
