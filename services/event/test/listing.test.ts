import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createArtistAndVenue,
  daysFromNow,
  type EventService,
  eventPayload,
  openEventService,
} from './helpers.ts';

describe('event listing', () => {
  let svc: EventService;
  let admin: { authorization: string };
  let a: { artistId: string; venueId: string };
  let b: { artistId: string; venueId: string };
  afterAll(() => svc.close());

  async function make(
    ids: typeof a,
    title: string,
    day: number,
    then: 'on_sale' | 'upcoming' | 'cancel' | 'draft',
  ) {
    const sale =
      then === 'upcoming'
        ? { saleOpensAt: daysFromNow(5), saleClosesAt: daysFromNow(day - 1) }
        : { saleOpensAt: daysFromNow(-1), saleClosesAt: daysFromNow(day - 1) };
    const res = await svc.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: admin,
      payload: eventPayload(ids, { title, startsAt: daysFromNow(day), ...sale }),
    });
    const id = res.json().id as string;
    if (then !== 'draft')
      await svc.app.inject({ method: 'POST', url: `/api/events/${id}/publish`, headers: admin });
    if (then === 'cancel') {
      await svc.app.inject({
        method: 'POST',
        url: `/api/events/${id}/cancel`,
        headers: admin,
        payload: { reason: 'Venue closed' },
      });
    }
    return id;
  }
  beforeAll(async () => {
    svc = await openEventService('event-listing');
    admin = { authorization: svc.admin };
    a = await createArtistAndVenue(svc, 'Aurora');
    b = await createArtistAndVenue(svc, 'Borealis');

    await make(a, 'Alpha Night', 10, 'on_sale');
    await make(a, 'Beta Live', 20, 'upcoming');
    await make(b, 'Gamma 100% Live', 30, 'on_sale');
    await make(b, 'Delta Show', 40, 'cancel');
    await make(b, 'Epsilon', 50, 'draft');
    await make(a, 'Zeta', 60, 'on_sale');
  });

  async function titles(query: string, headers = {}) {
    const res = await svc.app.inject({ url: `/api/events${query}`, headers });
    expect(res.statusCode, query).toBe(200);
    const body = res.json() as { items: { title: string }[]; total: number };
    return { titles: body.items.map((e) => e.title), total: body.total };
  }

  it('lists published events by date and hides drafts from the public', async () => {
    expect(await titles('')).toEqual({
      titles: ['Alpha Night', 'Beta Live', 'Gamma 100% Live', 'Delta Show', 'Zeta'],
      total: 5,
    });
    expect((await titles('', admin)).total).toBe(6);
    expect((await titles('?status=draft', admin)).titles).toEqual(['Epsilon']);
    expect((await titles('?status=draft')).total).toBe(0);
  });

  it('filters by artist', async () => {
    expect((await titles(`?artistId=${a.artistId}`)).titles).toEqual(['Alpha Night', 'Beta Live', 'Zeta']);
  });

  it('filters by a date range on the start time', async () => {
    const from = daysFromNow(15);
    const to = daysFromNow(45);
    expect(await titles(`?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`)).toEqual({
      titles: ['Beta Live', 'Gamma 100% Live', 'Delta Show'],
      total: 3,
    });
  });

  it('filters by the status readers see', async () => {
    expect((await titles('?status=on_sale')).titles).toEqual(['Alpha Night', 'Gamma 100% Live', 'Zeta']);
    expect((await titles('?status=published')).titles).toEqual(['Beta Live']);
    expect((await titles('?status=cancelled')).titles).toEqual(['Delta Show']);
  });

  it('searches titles and artist names, case-insensitively and literally', async () => {
    expect((await titles('?q=GAMMA')).titles).toEqual(['Gamma 100% Live']);
    expect((await titles('?q=borealis')).titles).toEqual(['Gamma 100% Live', 'Delta Show']);
    expect((await titles('?q=%25')).titles).toEqual(['Gamma 100% Live']);
    expect((await titles('?q=nothing-like-this')).total).toBe(0);
  });

  it('sorts by title or by date, either way', async () => {
    expect((await titles('?sort=title')).titles).toEqual([
      'Alpha Night',
      'Beta Live',
      'Delta Show',
      'Gamma 100% Live',
      'Zeta',
    ]);
    expect((await titles('?sort=-date')).titles).toEqual([
      'Zeta',
      'Delta Show',
      'Gamma 100% Live',
      'Beta Live',
      'Alpha Night',
    ]);
  });

  it('pages through the list with a stable total', async () => {
    expect(await titles('?pageSize=2&page=1')).toEqual({ titles: ['Alpha Night', 'Beta Live'], total: 5 });
    expect(await titles('?pageSize=2&page=2')).toEqual({
      titles: ['Gamma 100% Live', 'Delta Show'],
      total: 5,
    });
    expect(await titles('?pageSize=2&page=3')).toEqual({ titles: ['Zeta'], total: 5 });
    expect(await titles('?pageSize=2&page=4')).toEqual({ titles: [], total: 5 });
    const combined = await titles(`?artistId=${b.artistId}&status=on_sale&pageSize=1`);
    expect(combined).toEqual({ titles: ['Gamma 100% Live'], total: 1 });
  });

  it('refuses malformed filters with field errors', async () => {
    for (const [query, field] of [
      ['?status=sold', 'querystring.status'],
      ['?sort=price', 'querystring.sort'],
      ['?artistId=42', 'querystring.artistId'],
      ['?from=yesterday', 'querystring.from'],
    ]) {
      const res = await svc.app.inject({ url: `/api/events${query}` });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
  });

  it('reads a date without a time as that day in Seoul, where the concerts are', async () => {
    // A morning show: 08:00 KST on 14 March is still 13 March in UTC.
    const res = await svc.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: admin,
      payload: eventPayload(a, {
        title: 'Sunrise Set',
        startsAt: '2031-03-14T08:00:00+09:00',
        saleOpensAt: daysFromNow(-1),
        saleClosesAt: '2031-03-13T20:00:00+09:00',
      }),
    });
    expect(res.statusCode).toBe(201);
    await svc.app.inject({ method: 'POST', url: `/api/events/${res.json().id}/publish`, headers: admin });
    expect((await titles('?from=2031-03-14&to=2031-03-15')).titles).toEqual(['Sunrise Set']);
    expect((await titles('?from=2031-03-13&to=2031-03-14')).titles).toEqual([]);
  });
});
