import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createArtistAndVenue,
  daysFromNow,
  type EventService,
  eventPayload,
  openEventService,
} from './helpers.ts';

type Problem = { code: string; errors?: { field: string; message: string }[] };

describe('catalogue validation', () => {
  let svc: EventService;
  let ids: { artistId: string; venueId: string };
  afterAll(() => svc.close());
  beforeAll(async () => {
    svc = await openEventService('event-validation');
    ids = await createArtistAndVenue(svc);
  });
  const fieldsOf = (body: Problem) => body.errors?.map((e) => e.field) ?? [];

  async function create(overrides: Record<string, unknown>) {
    return svc.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: { authorization: svc.admin },
      payload: eventPayload(ids, overrides),
    });
  }

  it.each([
    ['a sale that closes after the show starts', { saleClosesAt: daysFromNow(31) }, 'body.saleClosesAt'],
    [
      'a sale that closes before it opens',
      { saleOpensAt: daysFromNow(10), saleClosesAt: daysFromNow(5) },
      'body.saleClosesAt',
    ],
    ['a zero price', { priceTiers: [{ key: 'R', name: 'R', price: 0 }] }, 'body.priceTiers.0.price'],
    // Toss takes no online payment under 100 KRW: such a seat could be held and never paid for.
    [
      'a price no payment can be',
      { priceTiers: [{ key: 'R', name: 'R', price: 99 }] },
      'body.priceTiers.0.price',
    ],
    [
      'a fractional price',
      { priceTiers: [{ key: 'R', name: 'R', price: 1000.5 }] },
      'body.priceTiers.0.price',
    ],
    ['a per-user limit above 10', { perUserLimit: 11 }, 'body.perUserLimit'],
    ['a per-user limit of 0', { perUserLimit: 0 }, 'body.perUserLimit'],
    [
      'a waiting room admitting nobody',
      { waitingRoom: { enabled: true, admissionRatePerMinute: 0, maxActiveShoppers: 10 } },
      'body.waitingRoom.admissionRatePerMinute',
    ],
    [
      'no price for the seats of tier R',
      { priceTiers: [{ key: 'VIP', name: 'VIP', price: 10_000 }] },
      'body.priceTiers',
    ],
    [
      'the same tier twice',
      {
        priceTiers: [
          { key: 'R', name: 'R', price: 10_000 },
          { key: 'R', name: 'R2', price: 20_000 },
        ],
      },
      'body.priceTiers.1.key',
    ],
    ['an unknown artist', { artistId: '01936b2a-0000-7000-8000-0000000000ff' }, 'body.artistId'],
    ['a missing title', { title: '' }, 'body.title'],
    ['a start time that is not a time', { startsAt: 'next friday' }, 'body.startsAt'],
  ])('refuses %s with a field error', async (_name, overrides, field) => {
    const res = await create(overrides);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.json().code).toBe('VALIDATION_FAILED');
    expect(fieldsOf(res.json())).toContain(field);
  });

  it('names an unpriced seat tier as one tier, not as "tier(s)"', async () => {
    const reasonOf = async (priceTiers: { key: string; name: string; price: number }[]) => {
      const res = await create({ priceTiers });
      expect(res.statusCode).toBe(400);
      return (res.json().errors as { field: string; message: string }[]).find(
        (e) => e.field === 'body.priceTiers',
      )?.message;
    };
    expect(await reasonOf([{ key: 'S', name: 'S', price: 10_000 }])).toBe('has no price for seat tier R');
  });

  it('stored none of the refused events', async () => {
    const list = await svc.app.inject({ url: '/api/events', headers: { authorization: svc.admin } });
    expect(list.json().total).toBe(0);
  });

  it('refuses to publish an event that has already started', async () => {
    const draft = await create({
      startsAt: daysFromNow(-1),
      saleOpensAt: daysFromNow(-3),
      saleClosesAt: daysFromNow(-2),
    });
    expect(draft.statusCode).toBe(201);
    const res = await svc.app.inject({
      method: 'POST',
      url: `/api/events/${draft.json().id}/publish`,
      headers: { authorization: svc.admin },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('EVENT_NOT_PUBLISHABLE');
    expect(await svc.outbox('event.published')).toEqual([]);
  });

  // A mistyped year would end a concert on sale at once and mail every ticket holder a date gone by.
  it('refuses to move a published event to a start time gone by, and keeps its date', async () => {
    const made = await create({});
    const id = made.json().id as string;
    const publish = await svc.app.inject({
      method: 'POST',
      url: `/api/events/${id}/publish`,
      headers: { authorization: svc.admin },
    });
    expect(publish.statusCode).toBe(200);
    const res = await svc.app.inject({
      method: 'PATCH',
      url: `/api/events/${id}`,
      headers: { authorization: svc.admin },
      payload: { startsAt: daysFromNow(-1), saleOpensAt: daysFromNow(-3), saleClosesAt: daysFromNow(-2) },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.json().errors).toContainEqual({ field: 'body.startsAt', message: 'is in the past' });
    const after = await svc.app.inject({ url: `/api/events/${id}`, headers: { authorization: svc.admin } });
    expect(after.json().startsAt).toBe(made.json().startsAt);
    expect(await svc.outbox('event.rescheduled')).toEqual([]);
  });

  it('refuses an inconsistent seat layout with field errors and stores no part of it', async () => {
    const res = await svc.app.inject({
      method: 'POST',
      url: '/api/venues',
      headers: { authorization: svc.admin },
      payload: {
        name: 'Broken Hall',
        city: 'Busan',
        sections: [
          {
            name: 'A',
            rows: [
              { label: '1', seatCount: 3, tierKey: 'R' },
              {
                label: '2',
                seats: [
                  { number: 1, x: 0, y: 0, tierKey: 'R', label: 'A-1-1' },
                  { number: 1, x: 1, y: 0, tierKey: 'R' },
                ],
              },
              { label: '3' },
            ],
          },
          { name: 'A', rows: [{ label: '1', seatCount: 2, tierKey: 'R' }] },
        ],
      },
    });
    expect(res.statusCode).toBe(400);
    const fields = fieldsOf(res.json());
    expect(fields).toEqual(
      expect.arrayContaining([
        'body.sections.1.name',
        'body.sections.0.rows.1.seats.0.label',
        'body.sections.0.rows.1.seats.1.number',
        'body.sections.0.rows.2',
      ]),
    );
    const { n } = await svc.db
      .selectFrom('venues')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('name', '=', 'Broken Hall')
      .executeTakeFirstOrThrow();
    expect(n).toBe(0);
  });

  it('refuses a layout past the seat cap for its size alone, before a seat of it is built', async () => {
    // 1,000,000 seats declared in a few kilobytes; one row label used twice as well, which a layout is
    // only checked for once its seats are built.
    const rows = Array.from({ length: 500 }, (_, r) => ({
      label: String(r % 499),
      seatCount: 1000,
      tierKey: 'R',
    }));
    const res = await svc.app.inject({
      method: 'POST',
      url: '/api/venues',
      headers: { authorization: svc.admin },
      payload: {
        name: 'Huge Hall',
        city: 'Busan',
        sections: [
          { name: 'A', rows },
          { name: 'B', rows },
        ],
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      detail: 'The seat layout is inconsistent: body.sections declares 1000000 seats, more than 100000',
      errors: [{ field: 'body.sections', message: 'declares 1000000 seats, more than 100000' }],
    });
  });

  it('refuses a section name used twice once, not once more for each seat whose label it repeats', async () => {
    const rows = Array.from({ length: 5 }, (_, r) => ({ label: String(r + 1), seatCount: 10, tierKey: 'R' }));
    const res = await svc.app.inject({
      method: 'POST',
      url: '/api/venues',
      headers: { authorization: svc.admin },
      payload: {
        name: 'Twin Hall',
        city: 'Busan',
        sections: [
          { name: 'A', rows },
          { name: 'A', rows },
        ],
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      detail: 'The seat layout is inconsistent: body.sections.1.name is used twice',
      errors: [{ field: 'body.sections.1.name', message: 'is used twice' }],
    });
  });

  it('refuses a row of zero seats', async () => {
    const res = await svc.app.inject({
      method: 'POST',
      url: '/api/venues',
      headers: { authorization: svc.admin },
      payload: {
        name: 'Empty',
        city: 'Busan',
        sections: [{ name: 'A', rows: [{ label: '1', seatCount: 0, tierKey: 'R' }] }],
      },
    });
    expect(res.statusCode).toBe(400);
    expect(fieldsOf(res.json())).toEqual(['body.sections.0.rows.0.seatCount']);
  });

  it('refuses a malformed admin request by who sends it before judging the body', async () => {
    const send = async (authorization?: string) => {
      const res = await svc.app.inject({
        method: 'POST',
        url: '/api/events',
        headers: authorization ? { authorization } : {},
        payload: { title: 42, priceTiers: 'cheap' },
      });
      return { status: res.statusCode, body: res.json() as Problem };
    };
    const anonymous = await send();
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors).toBeUndefined();
    const fan = await send(svc.user);
    expect(fan.status).toBe(403);
    expect(fan.body.errors).toBeUndefined();
    const admin = await send(svc.admin);
    expect(admin.status).toBe(400);
    expect(fieldsOf(admin.body)).toEqual(expect.arrayContaining(['body.title', 'body.priceTiers']));
    const badId = await svc.app.inject({
      method: 'PATCH',
      url: '/api/venues/not-an-id',
      headers: { authorization: svc.user },
      payload: { name: '' },
    });
    expect(badId.statusCode).toBe(403);
  });

  it('checks a token sent to a public listing before its query, and judges the query without one', async () => {
    const forged = { authorization: 'Bearer not.a.token' };
    const list = await svc.app.inject({ url: '/api/events?sort=loudest', headers: forged });
    expect(list.statusCode).toBe(401);
    const one = await svc.app.inject({ url: '/api/events/not-an-id', headers: forged });
    expect(one.statusCode).toBe(401);
    const anonymous = await svc.app.inject({ url: '/api/events?sort=loudest' });
    expect(anonymous.statusCode).toBe(400);
    expect(fieldsOf(anonymous.json())).toEqual(['querystring.sort']);
  });

  it('answers 404 for an unknown event and 400 for a malformed id', async () => {
    expect(
      (await svc.app.inject({ url: '/api/events/01936b2a-0000-7000-8000-0000000000ff' })).statusCode,
    ).toBe(404);
    expect((await svc.app.inject({ url: '/api/events/not-an-id' })).statusCode).toBe(400);
  });
});
