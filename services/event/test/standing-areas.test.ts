import { eventCatalogue } from '@tiketi/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daysFromNow, type EventService, eventPayload, openEventService } from './helpers.ts';

/*
 * A venue section can be a standing area (스탠딩): a capacity of places sold by count, with the rule by
 * which entry numbers are given. Its places are seats to the inventory, so every seat guarantee holds.
 */
describe('standing areas', () => {
  let svc: EventService;
  let admin: { authorization: string };
  const createVenue = (sections: unknown[]) =>
    svc.app.inject({
      method: 'POST',
      url: '/api/venues',
      headers: admin,
      payload: { name: 'Standing Hall', city: 'Seoul', sections },
    });
  const floor = { name: 'Floor', standing: { capacity: 300, tierKey: 'ST', entryOrder: 'draw' } };
  const balcony = { name: 'Balcony', rows: [{ label: '1', seatCount: 4, tierKey: 'R' }] };

  beforeAll(async () => {
    svc = await openEventService('event-standing');
    admin = { authorization: svc.admin };
  });
  afterAll(() => svc?.close());

  it('keeps a standing area beside seated sections: its places, capacity and entry rule', async () => {
    const res = await createVenue([floor, balcony]);
    expect(res.statusCode, res.body).toBe(201);
    const venue = res.json();
    expect(venue).toMatchObject({ seatCount: 304, tierKeys: ['R', 'ST'] });
    expect(venue.sections).toEqual([
      expect.objectContaining({
        name: 'Floor',
        seatCount: 300,
        standing: { capacity: 300, entryOrder: 'draw' },
      }),
      expect.objectContaining({ name: 'Balcony', seatCount: 4, standing: null }),
    ]);

    const layout = (await svc.app.inject({ url: `/api/venues/${venue.id}/layout` })).json();
    const [area, seated] = layout.sections;
    expect(area.standing).toEqual({ capacity: 300, entryOrder: 'draw' });
    expect(area.rows).toHaveLength(1);
    expect(area.rows[0].seats).toHaveLength(300);
    expect(area.rows[0].seats[0]).toMatchObject({ label: 'Floor-P1', number: 1, tierKey: 'ST' });
    expect(new Set(area.rows[0].seats.map((s: { label: string }) => s.label)).size).toBe(300);
    expect(seated.standing).toBeNull();
  });

  it('takes the entry order in arrival of confirmation unless the operator asks for a draw', async () => {
    const res = await createVenue([{ name: 'Pit', standing: { capacity: 10, tierKey: 'ST' } }]);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().sections[0].standing).toEqual({ capacity: 10, entryOrder: 'arrival' });
  });

  it('refuses a section that is both seated and standing, or neither, naming it', async () => {
    const both = await createVenue([{ ...floor, rows: balcony.rows }]);
    expect(both.statusCode).toBe(400);
    expect(both.headers['content-type']).toContain('application/problem+json');
    expect(both.json().errors).toEqual([
      { field: 'body.sections.0', message: 'give either rows or standing' },
    ]);
    const neither = await createVenue([{ name: 'Empty' }]);
    expect(neither.statusCode).toBe(400);
    expect(neither.json().errors[0].field).toBe('body.sections.0');
  });

  it('refuses a seat labelled as a place of a standing area, so a label of that form is always a place', async () => {
    const seat = (label: string) => ({ number: 1, x: 0, y: 0, tierKey: 'R', label });
    // Before the area or after it, and past its capacity too: pages and mails tell places by label alone.
    for (const sections of [
      [{ name: 'Balcony', rows: [{ label: '1', seats: [seat('Floor-P900')] }] }, floor],
      [floor, { name: 'Balcony', rows: [{ label: '1', seats: [seat('Floor-P2')] }] }],
    ]) {
      const res = await createVenue(sections);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const field = `body.sections.${sections[0] === floor ? 1 : 0}.rows.0.seats.0.label`;
      expect(res.json().errors).toEqual([
        { field, message: expect.stringContaining('standing area "Floor"') },
      ]);
    }
    // A seat only like a place's label is a seat.
    const near = await createVenue([
      floor,
      { name: 'Balcony', rows: [{ label: '1', seats: [seat('Floor-PA')] }] },
    ]);
    expect(near.statusCode, near.body).toBe(201);
  });

  it('refuses a capacity of none, or past the largest a standing area may have', async () => {
    for (const capacity of [0, 20_001, 1.5]) {
      const res = await createVenue([{ name: 'Pit', standing: { capacity, tierKey: 'ST' } }]);
      expect(res.statusCode, String(capacity)).toBe(400);
      expect(res.json().errors[0].field).toBe('body.sections.0.standing.capacity');
    }
    const rule = await createVenue([
      { name: 'Pit', standing: { capacity: 5, tierKey: 'ST', entryOrder: 'fastest' } },
    ]);
    expect(rule.statusCode).toBe(400);
    expect(rule.json().errors[0].field).toBe('body.sections.0.standing.entryOrder');
  });

  it('announces the standing areas with the inventory when an event is published', async () => {
    const venue = (
      await createVenue([
        { ...floor, name: 'Stand' },
        { ...balcony, name: 'Upper' },
      ])
    ).json();
    const artist = await svc.app.inject({
      method: 'POST',
      url: '/api/artists',
      headers: admin,
      payload: { name: 'Standing Band', genre: 'K-pop' },
    });
    const created = await svc.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: admin,
      payload: eventPayload(
        { artistId: artist.json().id, venueId: venue.id },
        {
          saleOpensAt: daysFromNow(-1),
          priceTiers: [
            { key: 'ST', name: '스탠딩', price: 132_000 },
            { key: 'R', name: 'R석', price: 154_000 },
          ],
        },
      ),
    });
    expect(created.statusCode, created.body).toBe(201);
    const eventId = created.json().id;
    const published = await svc.app.inject({
      method: 'POST',
      url: `/api/events/${eventId}/publish`,
      headers: admin,
    });
    expect(published.statusCode, published.body).toBe(200);

    const messages = (await svc.outbox('event.published')).map((d) =>
      eventCatalogue['event.published'].parse(d),
    );
    const mine = messages.find((m) => m.eventId === eventId);
    expect(mine?.standingAreas).toEqual([{ section: 'Stand', capacity: 300, entryOrder: 'draw' }]);
    expect(mine?.seats.filter((s) => s.section === 'Stand')).toHaveLength(300);
    expect(mine?.seats).toHaveLength(304);
  });
});
