import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventService, openEventService } from './helpers.ts';

type VenuePage = {
  items: { id: string; name: string; city: string; address: string; seatCount: number }[];
  page: number;
  pageSize: number;
  total: number;
};

describe('venue listing', () => {
  let svc: EventService;
  let olympic: string;
  let gocheok: string;
  let bexco: string;
  let percent: string;
  afterAll(() => svc.close());

  async function createVenue(name: string, city: string, address: string, seatCount = 4) {
    const res = await svc.app.inject({
      method: 'POST',
      url: '/api/venues',
      headers: { authorization: svc.admin },
      payload: {
        name,
        city,
        address,
        sections: [{ name: 'A', rows: [{ label: '1', seatCount, tierKey: 'R' }] }],
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string }>().id;
  }
  const list = async (query = '') => {
    const res = await svc.app.inject({ url: `/api/venues${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<VenuePage>();
  };
  beforeAll(async () => {
    svc = await openEventService('event-venues');

    olympic = await createVenue('KSPO Dome', 'Seoul', '424 Olympic-ro, Songpa-gu', 6);
    gocheok = await createVenue('Gocheok Sky Dome', 'Seoul', '430 Gyeongin-ro, Guro-gu');
    bexco = await createVenue('BEXCO Auditorium', 'Busan', '55 APEC-ro, Haeundae-gu');
    percent = await createVenue('100% Hall', 'Incheon', '1 Art-ro');
  });

  it('lists every venue by name, paged, without asking anyone to sign in', async () => {
    const all = await list();
    expect(all).toMatchObject({ page: 1, pageSize: 20, total: 4 });
    expect(all.items.map((v) => v.id)).toEqual([percent, bexco, gocheok, olympic]);
    expect(all.items[3]).toEqual({
      id: olympic,
      name: 'KSPO Dome',
      city: 'Seoul',
      address: '424 Olympic-ro, Songpa-gu',
      seatCount: 6,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });

    const second = await list('?page=2&pageSize=3');
    expect(second).toMatchObject({ page: 2, pageSize: 3, total: 4 });
    expect(second.items.map((v) => v.id)).toEqual([olympic]);
  });

  it('searches name, city and address ignoring case, and filters on a whole city', async () => {
    expect((await list('?q=dome')).items.map((v) => v.id)).toEqual([gocheok, olympic]);
    expect((await list('?q=busan')).items.map((v) => v.id)).toEqual([bexco]);
    expect((await list('?q=songpa')).items.map((v) => v.id)).toEqual([olympic]);
    // A wildcard in the search is a character to find, not a pattern.
    expect((await list('?q=%25')).items.map((v) => v.id)).toEqual([percent]);

    const seoul = await list('?city=seoul');
    expect(seoul).toMatchObject({ total: 2 });
    expect(seoul.items.map((v) => v.id)).toEqual([gocheok, olympic]);
    expect((await list('?city=Seo')).total).toBe(0);
    expect((await list('?city=Seoul&q=sky')).items.map((v) => v.id)).toEqual([gocheok]);
  });

  it('shows a new or renamed venue at once although listings are cached', async () => {
    expect((await list('?q=arena')).total).toBe(0);
    const arena = await createVenue('Inspire Arena', 'Incheon', '127 Gonghang-munhwa-ro');
    expect((await list('?q=arena')).items.map((v) => v.id)).toEqual([arena]);

    const renamed = await svc.app.inject({
      method: 'PATCH',
      url: `/api/venues/${arena}`,
      headers: { authorization: svc.admin },
      payload: { name: 'Inspire Hall' },
    });
    expect(renamed.statusCode).toBe(200);
    expect((await list('?q=arena')).total).toBe(0);
    expect((await list('?q=inspire')).items.map((v) => v.name)).toEqual(['Inspire Hall']);
  });

  it('refuses a bad page, page size or search with a problem naming the field', async () => {
    for (const [query, field] of [
      ['?pageSize=0', 'querystring.pageSize'],
      ['?pageSize=101', 'querystring.pageSize'],
      ['?page=abc', 'querystring.page'],
      ['?q=', 'querystring.q'],
      [`?city=${'x'.repeat(101)}`, 'querystring.city'],
    ] as const) {
      const res = await svc.app.inject({ url: `/api/venues${query}` });
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(
        res.json().errors.map((e: { field: string }) => e.field),
        query,
      ).toContain(field);
    }
  });

  it('documents the listing in the OpenAPI description', async () => {
    const doc = (await svc.app.inject({ url: '/docs/json' })).json();
    const op = doc.paths['/api/venues'].get;
    expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['q', 'city', 'page', 'pageSize']),
    );
    expect(op.responses['200']).toBeDefined();
  });
});
