import { randomUUID } from 'node:crypto';
import type { EventInput } from '@tiketi/contracts';
import { sql } from '@tiketi/kit';
import { describe, expect, it } from 'vitest';
import { standingRepository } from '../src/db/standing.repository.ts';
import {
  bearer,
  deliver,
  eventually,
  type Instance,
  onSaleEvent,
  pdfText,
  published,
  reservationSuite,
  rowsRead,
} from './helpers.ts';

/*
 * Standing areas (스탠딩): fans hold places by count, the server picks which; places are seats to
 * PostgreSQL, so an area is never oversold however many hold at once, and the per-user limit counts them.
 * Entry numbers are given when an order is confirmed: in order of confirmation, or by a draw.
 */

/** The seated event of the helpers plus two standing areas: Floor (arrival order) and Pit (draw). */
function standingEvent(
  floor: number,
  pit: number,
  overrides: { startsAt?: string } = {},
): EventInput<'event.published'> {
  const base = onSaleEvent(10, { perUserLimit: 4, ...overrides });
  const standingTier = randomUUID();
  const places = (section: string, count: number) =>
    Array.from({ length: count }, (_, i) => ({
      id: randomUUID(),
      label: `${section}-P${i + 1}`,
      section,
      row: '-',
      number: i + 1,
      x: i * 10,
      y: 100,
      tierId: standingTier,
    }));
  return {
    ...base,
    priceTiers: [...base.priceTiers, { id: standingTier, name: '스탠딩', price: 110_000 }],
    seats: [...base.seats, ...places('Floor', floor), ...places('Pit', pit)],
    standingAreas: [
      { section: 'Floor', capacity: floor, entryOrder: 'arrival' },
      { section: 'Pit', capacity: pit, entryOrder: 'draw' },
    ],
  };
}

describe('standing areas', () => {
  const event = standingEvent(30, 20);
  const h = reservationSuite('resv-standing', { instances: [{}, {}], events: [event] });

  const hold = (
    token: string,
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
    svc: Instance = h.svc,
  ) =>
    svc.app.inject({
      method: 'POST',
      url: '/api/reservations',
      headers: bearer(token, headers),
      payload: { eventId: event.eventId, ...body },
    });
  const places = (section: string, quantity: number) => ({ standing: [{ section, quantity }] });
  const sectionOf = new Map(event.seats.map((s) => [s.id, s.section]));
  const seatsOf = async (reservationId: string) =>
    (
      await h.db
        .selectFrom('reservationSeats')
        .select('seatId')
        .where('reservationId', '=', reservationId)
        .where('active', '=', true)
        .execute()
    ).map((r) => r.seatId);
  const confirm = async (reservationId: string) => {
    const res = await h.app.inject({
      method: 'POST',
      url: `/internal/reservations/${reservationId}/confirm`,
      headers: h.internal,
      payload: { paymentId: randomUUID() },
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  const ticketsOf = (reservationId: string) =>
    h.db
      .selectFrom('tickets')
      .select(['seatId', 'entrySection', 'entryNumber'])
      .where('reservationId', '=', reservationId)
      .execute();

  it('holds places by count, picked by the server, at the area’s price', async () => {
    const fan = await h.userToken();
    const res = await hold(fan.token, places('Floor', 3));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().amount).toBe(330_000);
    const held = await seatsOf(res.json().reservationId);
    expect(held).toHaveLength(3);
    expect(held.map((id) => sectionOf.get(id))).toEqual(['Floor', 'Floor', 'Floor']);
    const map = (await h.app.inject({ url: `/api/seats/event/${event.eventId}` })).json();
    const status = new Map(map.seats.map((s: { id: string; status: string }) => [s.id, s.status]));
    for (const id of held) expect(status.get(id)).toBe('held');
  });

  it('holds seats and places together, and the per-user limit counts places', async () => {
    const fan = await h.userToken();
    const both = await hold(fan.token, { seatIds: [event.seats[0]?.id], ...places('Pit', 2) });
    expect(both.statusCode, both.body).toBe(201);
    expect(both.json().amount).toBe(150_000 + 2 * 110_000);
    const over = await hold(fan.token, places('Floor', 2));
    expect(over.statusCode).toBe(409);
    expect(over.json()).toMatchObject({ code: 'PER_USER_LIMIT', active: 3 });
  });

  it('says which sections are not standing areas, and how many places are left when too few', async () => {
    const fan = await h.userToken();
    const seated = await hold(fan.token, { standing: [{ section: 'A', quantity: 1 }] });
    expect(seated.statusCode).toBe(422);
    expect(seated.json()).toMatchObject({ code: 'NOT_STANDING_AREA', sections: ['A'] });
    const twice = await hold(fan.token, {
      standing: [
        { section: 'Floor', quantity: 1 },
        { section: 'Floor', quantity: 1 },
      ],
    });
    expect(twice.statusCode).toBe(400);
    expect(twice.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'body.standing', message: 'names the same area more than once' }],
    });
    const nothing = await hold(fan.token, {});
    expect(nothing.statusCode).toBe(400);
    expect(nothing.json().errors[0].field).toBe('body.seatIds');
    const none = await hold(fan.token, places('Floor', 0));
    expect(none.statusCode).toBe(400);
  });

  it('answers a retried request by count with the reservation it made, not a second one', async () => {
    const fan = await h.userToken();
    const key = { 'idempotency-key': randomUUID() };
    const first = await hold(fan.token, places('Floor', 2), key);
    const again = await hold(fan.token, places('Floor', 2), key);
    expect(first.statusCode, first.body).toBe(201);
    expect(again.json().reservationId).toBe(first.json().reservationId);
    const other = await hold(fan.token, places('Pit', 2), key);
    expect(other.statusCode).toBe(422);
    expect(other.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('never sells a place twice when more fans than places hold at once on two instances', async () => {
    const left = async () =>
      (
        await h.db
          .selectFrom('seats')
          .select('id')
          .where('eventId', '=', event.eventId)
          .where('section', '=', 'Floor')
          .where('status', '=', 'available')
          .execute()
      ).length;
    const free = await left();
    expect(free).toBeGreaterThan(10);
    const fans = await Promise.all(Array.from({ length: free + 15 }, () => h.userToken()));
    const answers = await Promise.all(
      fans.map((fan, i) => hold(fan.token, places('Floor', 1), {}, i % 2 ? h.svc : h.instances[1]!)),
    );
    const codes = answers.map((a) => (a.statusCode === 201 ? 'held' : a.json().code));
    expect(codes.filter((c) => !['held', 'STANDING_SOLD_OUT', 'SEATS_TAKEN'].includes(c))).toEqual([]);
    // Those refused while places were left try again until the area says it is sold out.
    for (const [i, code] of codes.entries()) {
      if (code === 'held') continue;
      for (let attempt = 0; attempt < 5; attempt++) {
        const retry = await hold((fans[i] as { token: string }).token, places('Floor', 1));
        if (retry.statusCode === 201 || retry.json().code === 'STANDING_SOLD_OUT') {
          codes[i] = retry.statusCode === 201 ? 'held' : 'STANDING_SOLD_OUT';
          break;
        }
      }
    }
    expect(codes.filter((c) => c === 'held')).toHaveLength(free);
    expect(await left()).toBe(0);
    const active = await h.db
      .selectFrom('reservationSeats as rs')
      .innerJoin('seats as s', 's.id', 'rs.seatId')
      .select(['rs.seatId'])
      .where('s.section', '=', 'Floor')
      .where('rs.active', '=', true)
      .execute();
    expect(new Set(active.map((r) => r.seatId)).size).toBe(active.length);
    expect(active).toHaveLength(30);
  });

  it('offers a fan who let places go unpaid the places they did not, and says why when none is left', async () => {
    const other = standingEvent(8, 1);
    await deliver(h.svc, published(other));
    const inFloor = (fan: { token: string }, quantity: number) =>
      hold(fan.token, { eventId: other.eventId, ...places('Floor', quantity) });
    const giveBack = async (fan: { token: string }, reservationId: string) => {
      const res = await h.app.inject({
        method: 'DELETE',
        url: `/api/reservations/${reservationId}`,
        headers: bearer(fan.token),
      });
      expect(res.statusCode, res.body).toBe(200);
    };
    // Another fan holds four places; a spinner holds the other four twice, giving them back each time.
    const keeper = await h.userToken();
    const kept = await inFloor(keeper, 4);
    expect(kept.statusCode, kept.body).toBe(201);
    const keptPlaces = await seatsOf(kept.json().reservationId);
    const spinner = await h.userToken();
    let spun: string[] = [];
    for (let round = 0; round < 2; round++) {
      const held = await inFloor(spinner, 4);
      expect(held.statusCode, held.body).toBe(201);
      spun = await seatsOf(held.json().reservationId);
      await giveBack(spinner, held.json().reservationId);
    }
    expect(spun.filter((id) => keptPlaces.includes(id))).toEqual([]);
    await giveBack(keeper, kept.json().reservationId);

    // Eight places are free; four are left for others. The spinner is given the other four at once.
    const fresh = await inFloor(spinner, 4);
    expect(fresh.statusCode, fresh.body).toBe(201);
    expect((await seatsOf(fresh.json().reservationId)).sort()).toEqual([...keptPlaces].sort());
    await giveBack(spinner, fresh.json().reservationId);
    const again = await inFloor(spinner, 4);
    expect(again.statusCode, again.body).toBe(201);
    expect((await seatsOf(again.json().reservationId)).sort()).toEqual([...keptPlaces].sort());
    await giveBack(spinner, again.json().reservationId);

    // Every free place of the area has now been let go twice by this fan: not "sold out", but left for others.
    const refused = await inFloor(spinner, 4);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'SEATS_LEFT_FOR_OTHERS', limit: 2 });
    const anyone = await inFloor(await h.userToken(), 4);
    expect(anyone.statusCode, anyone.body).toBe(201);
  });

  it('lets held places expire like seats: the area has them again and they can be held', async () => {
    const other = standingEvent(3, 1);
    await deliver(h.svc, published(other));
    const svc = await h.instance({ config: { HOLD_TTL_SECONDS: 3, SWEEP_INTERVAL_MS: 200 } });
    await svc.start();
    const leftOnMap = async () =>
      (
        (await svc.app.inject({ url: `/api/seats/event/${other.eventId}` })).json().seats as {
          section: string;
          status: string;
        }[]
      ).filter((s) => s.section === 'Floor' && s.status === 'available').length;
    const fan = await h.userToken();
    const held = await hold(fan.token, { eventId: other.eventId, ...places('Floor', 3) }, {}, svc);
    expect(held.statusCode, held.body).toBe(201);
    expect(await leftOnMap()).toBe(0);
    const late = await h.userToken();
    const none = await hold(late.token, { eventId: other.eventId, ...places('Floor', 1) }, {}, svc);
    expect(none.json()).toMatchObject({
      code: 'STANDING_SOLD_OUT',
      left: 0,
      detail: 'No places are left in Floor.',
    });

    await eventually(async () => expect(await leftOnMap()).toBe(3));
    const status = await h.db
      .selectFrom('reservations')
      .select('status')
      .where('id', '=', held.json().reservationId)
      .executeTakeFirstOrThrow();
    expect(status.status).toBe('EXPIRED');
    const again = await hold(late.token, { eventId: other.eventId, ...places('Floor', 3) }, {}, svc);
    expect(again.statusCode, again.body).toBe(201);
    await svc.close();
  });

  it('numbers the entries of an arrival area in order of confirmation', async () => {
    const other = standingEvent(6, 1);
    await deliver(h.svc, published(other));
    const orders: string[] = [];
    for (const quantity of [2, 1, 3]) {
      const fan = await h.userToken();
      const res = await h.app.inject({
        method: 'POST',
        url: '/api/reservations',
        headers: bearer(fan.token),
        payload: { eventId: other.eventId, ...places('Floor', quantity) },
      });
      expect(res.statusCode, res.body).toBe(201);
      orders.push(res.json().reservationId);
    }
    // Confirmed in another order than held: numbers follow confirmation.
    for (const id of [orders[1], orders[2], orders[0]] as string[]) await confirm(id);
    const numbers = async (id: string) => (await ticketsOf(id)).map((t) => t.entryNumber).sort();
    expect(await numbers(orders[1] as string)).toEqual([1]);
    expect(await numbers(orders[2] as string)).toEqual([2, 3, 4]);
    expect(await numbers(orders[0] as string)).toEqual([5, 6]);
    expect((await ticketsOf(orders[0] as string)).every((t) => t.entrySection === 'Floor')).toBe(true);
  });

  it('draws the entry numbers of a draw area among the buyers, each number once', async () => {
    const other = standingEvent(1, 20);
    await deliver(h.svc, published(other));
    const drawn: number[] = [];
    for (let i = 0; i < 20; i++) {
      const fan = await h.userToken();
      const res = await h.app.inject({
        method: 'POST',
        url: '/api/reservations',
        headers: bearer(fan.token),
        payload: { eventId: other.eventId, ...places('Pit', 1) },
      });
      expect(res.statusCode, res.body).toBe(201);
      await confirm(res.json().reservationId);
      const [ticket] = await ticketsOf(res.json().reservationId);
      drawn.push(ticket?.entryNumber as number);
      if (i === 0) {
        const mine = await h.app.inject({ url: '/api/tickets', headers: bearer(fan.token) });
        expect(mine.json().items).toEqual([
          expect.objectContaining({ entrySection: 'Pit', entryNumber: ticket?.entryNumber }),
        ]);
      }
    }
    expect([...drawn].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // First to pay is not first in: the numbers do not follow the order of payment.
    expect(drawn).not.toEqual([...drawn].sort((a, b) => a - b));
  });

  it('prints a standing ticket with its entry number, on its own PDF and in the order’s documents', async () => {
    const other = standingEvent(4, 1);
    await deliver(h.svc, published(other));
    const fan = await h.userToken();
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/reservations',
      headers: bearer(fan.token),
      payload: { eventId: other.eventId, ...places('Floor', 2) },
    });
    expect(res.statusCode, res.body).toBe(201);
    const reservationId = res.json().reservationId;
    await confirm(reservationId);
    const mine = (await h.app.inject({ url: '/api/tickets', headers: bearer(fan.token) })).json().items;
    expect(mine.map((t: { entryNumber: number }) => t.entryNumber).sort()).toEqual([1, 2]);
    const [ticket] = mine;
    const pdf = await h.app.inject({ url: `/api/tickets/${ticket.id}/pdf`, headers: bearer(fan.token) });
    expect(pdf.statusCode, pdf.body).toBe(200);
    const text = await pdfText(pdf.rawPayload);
    expect(text).toContain('입장 번호');
    expect(text).toContain(`Floor 스탠딩 ${ticket.entryNumber}번`);
    expect(text).toContain(`Entry No. ${ticket.entryNumber}`);
    // The place the server picked is no seat to look for at the door.
    expect(text).not.toContain(ticket.seatLabel);
    const docs = await h.app.inject({
      url: `/internal/reservations/${reservationId}/ticket-documents`,
      headers: h.internal,
    });
    expect(docs.statusCode, docs.body).toBe(200);
    expect(
      docs
        .json()
        .tickets.map((t: { entrySection: string; entryNumber: number }) => [t.entrySection, t.entryNumber])
        .sort(),
    ).toEqual([
      ['Floor', 1],
      ['Floor', 2],
    ]);
    const all = await pdfText(Buffer.from(docs.json().pdf, 'base64'));
    expect(all).toContain('Floor 스탠딩 1번');
    expect(all).toContain('Floor 스탠딩 2번');
    // Rendering PDFs with an embedded Korean font is slow on a busy machine.
  }, 60_000);

  it('tells the door a standing ticket’s area and entry number, and a seat’s none', async () => {
    const tonight = standingEvent(3, 1, { startsAt: new Date(Date.now() + 3_600_000).toISOString() });
    await deliver(h.svc, published(tonight));
    const fan = await h.userToken();
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/reservations',
      headers: bearer(fan.token),
      payload: { eventId: tonight.eventId, seatIds: [tonight.seats[0]?.id], ...places('Floor', 1) },
    });
    expect(res.statusCode, res.body).toBe(201);
    await confirm(res.json().reservationId);
    const mine = (await h.app.inject({ url: '/api/tickets', headers: bearer(fan.token) })).json().items;
    const admin = await h.userToken(randomUUID(), 'admin');
    const answers = [];
    for (const ticket of mine) {
      const done = await h.app.inject({
        method: 'POST',
        url: '/api/tickets/check-in',
        headers: bearer(admin.token),
        payload: { code: ticket.code, eventId: tonight.eventId },
      });
      expect(done.statusCode, done.body).toBe(200);
      answers.push(done.json());
    }
    expect(answers.map((a) => [a.seatLabel, a.entrySection, a.entryNumber]).sort()).toEqual([
      [tonight.seats[0]?.label, null, null],
      [expect.stringMatching(/^Floor-P\d$/), 'Floor', 1],
    ]);
  });

  it('documents holds by count and entry numbers in OpenAPI', async () => {
    const res = await h.app.inject({ url: '/docs/json', headers: h.internal });
    const paths = res.json().paths;
    const hold = paths['/api/reservations'].post;
    expect(hold.summary).toContain('standing areas by count');
    const body = JSON.stringify(hold.requestBody.content['application/json'].schema);
    expect(body).toContain('"quantity"');
    expect(body).toContain('the server picks free places');
    const ticket = JSON.stringify(paths['/api/tickets/{id}'].get.responses['200']);
    expect(ticket).toContain('"entryNumber"');
    expect(ticket).toContain('given when the order is confirmed');
  });

  it('gives seats no entry number', async () => {
    const fan = await h.userToken();
    const res = await hold(fan.token, { seatIds: [event.seats[5]?.id] });
    expect(res.statusCode, res.body).toBe(201);
    await confirm(res.json().reservationId);
    expect(await ticketsOf(res.json().reservationId)).toEqual([
      { seatId: event.seats[5]?.id, entrySection: null, entryNumber: null },
    ]);
  });
});

describe('standing areas as large as a floor gets', () => {
  // A suite of its own: the statistics it takes must not know the floor's places.
  const h = reservationSuite('resv-standing-floor', { instances: [{}] });

  it('reads about as many places as a pick takes, not every free place of the area', async () => {
    // Each pick read every free place of the area and sorted them at random: 20,000 rows for one pick of a
    // full-size floor. The statistics are taken before the event is published, as on a platform that has
    // sold before, so nothing but the index's shape can keep the read short.
    for (let i = 0; i < 2; i++) await deliver(h.svc, published(onSaleEvent(1_000)));
    await sql`alter table seats set (autovacuum_enabled = false)`.execute(h.db);
    await sql`analyze seats`.execute(h.db);
    const floor = standingEvent(5_000, 10);
    await deliver(h.svc, published(floor));
    const placesOf = new Set(floor.seats.filter((s) => s.section === 'Floor').map((s) => s.id));

    const pickReading = (userId: string) =>
      h.db.transaction().execute(async (trx) => {
        const read = () => rowsRead(trx, ['seats']);
        const before = await read();
        const picked = await standingRepository(trx).pick(floor.eventId, 'Floor', 4, {
          userId,
          windowMs: 3_600_000,
          excluded: [],
          capacity: 5_000,
        });
        return { picked, read: (await read()) - before };
      });

    const first = await pickReading(randomUUID());
    expect(new Set(first.picked).size).toBe(4);
    expect(first.picked.every((id) => placesOf.has(id))).toBe(true);
    expect(first.read).toBeLessThan(50);
    // Two fans picking at the same moment seldom get the same places.
    const second = await pickReading(randomUUID());
    expect(second.picked.filter((id) => first.picked.includes(id)).length).toBeLessThan(4);
  });
});
