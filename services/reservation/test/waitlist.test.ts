import { randomUUID } from 'node:crypto';
import type { EventInput, WaitlistStatus } from '@tiketi/contracts';
import { makeEnvelope, sql } from '@tiketi/kit';
import { describe, expect, it } from 'vitest';
import {
  bearer,
  deliver,
  documentedStatuses,
  eventually,
  type UserToken as Fan,
  onSaleEvent,
  published,
  reservationSuite,
} from './helpers.ts';

describe('the waiting list of a sold-out event', () => {
  const h = reservationSuite('resv-waitlist', {
    // The sweeper of these instances runs often: an offer is made to expire by moving its end to now.
    config: { SWEEP_INTERVAL_MS: 100, HOLD_MAX_SECONDS: 900 },
    instances: [{ listen: true }, { listen: true }],
    start: true,
  });

  async function call(method: string, path: string, fan: Fan, body?: unknown, url = h.svc.url) {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: bearer(fan.token, body === undefined ? {} : { 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  const join = (event: string, fan: Fan, body: object = {}) =>
    call('POST', `/api/waitlist/${event}`, fan, body);
  const place = async (event: string, fan: Fan) =>
    ((await call('GET', `/api/waitlist/${event}`, fan)).body as WaitlistStatus).entry;
  const leave = (event: string, fan: Fan) => call('DELETE', `/api/waitlist/${event}`, fan);
  const cancel = (reservationId: string, fan: Fan, url = h.svc.url) =>
    call('DELETE', `/api/reservations/${reservationId}`, fan, undefined, url);

  type Hold = { reservationId: string; holder: Fan };

  /** An on-sale event all of whose seats are held, each by a fan of its own. */
  async function soldOut(seatCount: number, overrides: Partial<EventInput<'event.published'>> = {}) {
    const event = onSaleEvent(seatCount, { perUserLimit: 4, ...overrides });
    await deliver(h.svc, published(event));
    const holds: Hold[] = [];
    for (const seat of event.seats) {
      const holder = await h.userToken();
      const res = await call('POST', '/api/reservations', holder, {
        eventId: event.eventId,
        seatIds: [seat.id],
      });
      expect(res.status).toBe(201);
      holds.push({ reservationId: res.body.reservationId, holder });
    }
    return { event, id: event.eventId, holds };
  }
  /** The holder gives the hold back. */
  const giveBack = (hold: Hold, url = h.svc.url) => cancel(hold.reservationId, hold.holder, url);

  async function offersOf(eventId: string) {
    return h.db
      .selectFrom('waitlistEntries as w')
      .innerJoin('reservations as r', 'r.id', 'w.reservationId')
      .select([
        'w.userId',
        'w.status',
        'r.id as reservationId',
        'r.status as reservationStatus',
        'r.expiresAt',
      ])
      .where('w.eventId', '=', eventId)
      .where('w.status', '=', 'OFFERED')
      .execute();
  }
  async function seatsOfOffer(reservationId: string) {
    const rows = await h.db
      .selectFrom('reservationSeats')
      .select('seatId')
      .where('reservationId', '=', reservationId)
      .where('active', '=', true)
      .execute();
    return rows.map((r) => r.seatId);
  }
  async function announced(type: string, reservationId: string) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from outbox
      where type = ${type} and envelope->'data'->>'reservationId' = ${reservationId}`.execute(h.db);
    return rows[0]?.n ?? 0;
  }
  /** Makes the hold's time run out now; the sweepers do the rest. */
  async function runOut(reservationId: string) {
    await h.db
      .updateTable('reservations')
      .set({ expiresAt: new Date() })
      .where('id', '=', reservationId)
      .execute();
  }

  it('lets a fan join only a sold-out event, for a known tier and within the per-user limit', async () => {
    const open = onSaleEvent(3);
    await deliver(h.svc, published(open));
    const fan = await h.userToken();
    const notSoldOut = await join(open.eventId, fan);
    expect(notSoldOut.status).toBe(409);
    expect(notSoldOut.body).toMatchObject({ code: 'WAITLIST_NOT_SOLD_OUT' });

    const { id, event } = await soldOut(2);
    expect((await join(id, fan, { quantity: 5 })).body).toMatchObject({ code: 'PER_USER_LIMIT' });
    expect((await join(id, fan, { tierId: randomUUID() })).body).toMatchObject({ code: 'UNKNOWN_TIER' });
    const bad = await join(id, fan, { quantity: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBeTruthy();
    expect((await join(randomUUID(), fan)).status).toBe(404);
    const unverified = { id: fan.id, token: await h.tokens.sign({ id: fan.id, emailVerified: false }) };
    expect((await join(id, unverified)).body).toMatchObject({ code: 'EMAIL_NOT_VERIFIED' });
    // Each of these answers is in the OpenAPI document a client is written from.
    expect(await documentedStatuses(h.app, '/api/waitlist/{eventId}', 'post')).toEqual(
      expect.arrayContaining(['200', '201', '403', '404', '409', '422']),
    );
    expect((await call('GET', `/api/waitlist/${id}`, { ...fan, token: 'nope' })).status).toBe(401);

    const tier = event.priceTiers[0]!.id;
    const joined = await join(id, fan, { tierId: tier.toUpperCase(), quantity: 2 });
    expect(joined.status).toBe(201);
    expect(joined.body.entry).toMatchObject({
      tierId: tier,
      quantity: 2,
      status: 'WAITING',
      place: 1,
      offer: null,
    });
    // Joining again changes nothing and answers the place already held.
    const again = await join(id, fan, { quantity: 1 });
    expect(again.status).toBe(200);
    expect(again.body.entry).toMatchObject({ quantity: 2, place: 1 });
  });

  it('counts the seats a fan already has against what they may wait for', async () => {
    // A fan holding three of the four seats they may have would be passed over for every returned seat.
    const { id, holds } = await soldOut(5);
    const holder = await h.userToken();
    for (const hold of holds.slice(0, 3)) {
      expect((await giveBack(hold)).status).toBe(200);
    }
    const seats = await h.db
      .selectFrom('seats')
      .select('id')
      .where('eventId', '=', id)
      .where('status', '=', 'available')
      .execute();
    const taken = await call('POST', '/api/reservations', holder, {
      eventId: id,
      seatIds: seats.map((x) => x.id),
    });
    expect(taken.status).toBe(201);
    const refused = await join(id, holder, { quantity: 2 });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'PER_USER_LIMIT', limit: 4, active: 3 });
    expect(refused.body.detail).toContain('you already have 3');
    expect(await place(id, holder)).toBeNull();
    // One more seat is within the limit.
    expect((await join(id, holder, { quantity: 1 })).status).toBe(201);
  });

  it('offers returned seats to the first fan in line, shows the others their place and lets a fan leave', async () => {
    const { id, holds } = await soldOut(3);
    const [ann, ben, cat] = [await h.userToken(), await h.userToken(), await h.userToken()];
    for (const fan of [ann, ben, cat]) expect((await join(id, fan)).status).toBe(201);
    expect((await place(id, cat))?.place).toBe(3);
    expect((await leave(id, ben)).status).toBe(204);
    expect((await leave(id, ben)).status).toBe(204);
    expect(await place(id, ben)).toBeNull();
    expect((await place(id, cat))?.place).toBe(2);

    expect((await giveBack(holds[0]!)).status).toBe(200);
    const offered = await place(id, ann);
    expect(offered).toMatchObject({ status: 'OFFERED', place: null });
    const offer = offered!.offer!;
    // Held in the fan's name for the event's offer time (30 minutes unless the operator set another).
    const reservation = await call('GET', `/api/reservations/${offer.reservationId}`, ann);
    expect(reservation.body).toMatchObject({ status: 'PENDING', userId: ann.id });
    const minutes =
      (new Date(offer.expiresAt).getTime() - new Date(reservation.body.createdAt).getTime()) / 60_000;
    expect(Math.round(minutes)).toBe(30);
    expect(await announced('waitlist.offered', offer.reservationId)).toBe(1);
    // The mail tells places from seats by the event's standing areas, which it carries (none here).
    const { rows } = await sql<{ areas: unknown }>`select envelope->'data'->'standingAreas' as areas
      from outbox where type = 'waitlist.offered'
        and envelope->'data'->>'reservationId' = ${offer.reservationId}`.execute(h.db);
    expect(rows).toEqual([{ areas: [] }]);
    // Opening the payment lengthens a hold to the payment window, never shortens an offer.
    const extended = await fetch(`${h.svc.url}/internal/reservations/${offer.reservationId}/extend`, {
      method: 'POST',
      headers: { ...h.internal, 'content-type': 'application/json' },
      body: JSON.stringify({ seconds: 600, amount: reservation.body.amount }),
    });
    expect(await extended.json()).toEqual({ expiresAt: offer.expiresAt });
    expect(await announced('reservation.created', offer.reservationId)).toBe(1);
    expect((await place(id, cat))?.place).toBe(1);
    // The seat map shows the offered seat held, not free for anyone else.
    const map = await fetch(`${h.svc.url}/api/seats/event/${id}`);
    expect((await map.json()).counts).toMatchObject({ available: 0, held: 3 });
  });

  it('takes a deleted account off every list it waits on, so the next offer goes to someone', async () => {
    const { id, holds } = await soldOut(1);
    const [gone, next] = [await h.userToken(), await h.userToken()];
    for (const fan of [gone, next]) expect((await join(id, fan)).status).toBe(201);
    await h.db
      .transaction()
      .execute((trx) => h.svc.handlers.account(makeEnvelope('user.deleted', { userId: gone.id }), trx));
    expect(await place(id, gone)).toBeNull();
    expect((await giveBack(holds[0]!)).status).toBe(200);
    expect(await place(id, next)).toMatchObject({ status: 'OFFERED' });
  });

  it('passes an offer not taken in time to the next fan, and an offer given back too', async () => {
    const { id, holds } = await soldOut(2, { waitlistOfferMinutes: 10 });
    const [ann, ben, cat] = [await h.userToken(), await h.userToken(), await h.userToken()];
    for (const fan of [ann, ben, cat]) await join(id, fan);
    await giveBack(holds[0]!);
    const annOffer = (await place(id, ann))!.offer!;
    const annSeats = await seatsOfOffer(annOffer.reservationId);

    await runOut(annOffer.reservationId);
    const benOffer = await eventually(async () => {
      const entry = await place(id, ben);
      expect(entry?.status).toBe('OFFERED');
      return entry!.offer!;
    });
    expect(await place(id, ann)).toBeNull();
    expect(await seatsOfOffer(benOffer.reservationId)).toEqual(annSeats);
    const lapsed = await h.db
      .selectFrom('waitlistEntries')
      .select('status')
      .where('userId', '=', ann.id)
      .execute();
    expect(lapsed.map((e) => e.status)).toEqual(['LAPSED']);
    // Its end is announced as an offer's, so ann is not told that a hold of her own expired.
    const { rows: ended } = await sql<{ data: unknown }>`select envelope->'data' as data from outbox
      where type = 'reservation.expired' and envelope->'data'->>'reservationId' = ${annOffer.reservationId}`.execute(
      h.db,
    );
    expect(ended).toEqual([
      {
        data: expect.objectContaining({
          userId: ann.id,
          waitlistOffer: true,
          seatLabels: expect.arrayContaining([expect.stringMatching(/^A-/)]),
          standingAreas: [],
        }),
      },
    ]);
    // Her checkout link now opens a reservation that says it was an offer, so the page can say where the
    // seats went rather than that they went back on sale.
    const annView = await call('GET', `/api/reservations/${annOffer.reservationId}`, ann);
    expect(annView.body).toMatchObject({ status: 'EXPIRED', waitlistOffer: true });

    // Leaving with an offer in hand gives the seats to the next fan at once.
    expect((await leave(id, ben)).status).toBe(204);
    expect((await place(id, cat))?.status).toBe('OFFERED');
    expect((await call('GET', `/api/reservations/${benOffer.reservationId}`, ben)).body.status).toBe(
      'CANCELLED',
    );
  });

  it('offers only seats of the tier a fan asked for, and as many together as they asked', async () => {
    const { id, event, holds } = await soldOut(12);
    const regular = event.priceTiers[1]!.id;
    const [pair, regularFan, anyone] = [await h.userToken(), await h.userToken(), await h.userToken()];
    await join(id, pair, { quantity: 2 });
    await join(id, regularFan, { tierId: regular });
    await join(id, anyone);
    // One VIP seat back: not enough for the pair, not the regular fan's tier, so the third fan gets it.
    await giveBack(holds[0]!);
    expect((await place(id, anyone))?.status).toBe('OFFERED');
    expect((await place(id, pair))?.place).toBe(1);
    // A regular seat back: still not enough for the pair; the regular fan behind them gets it.
    await giveBack(holds[10]!);
    expect((await place(id, regularFan))?.status).toBe('OFFERED');
    // One more seat back suits nobody waiting and stays on sale; with the next, the pair gets both.
    await giveBack(holds[11]!);
    expect((await place(id, pair))?.status).toBe('WAITING');
    await giveBack(holds[9]!);
    const pairOffer = (await place(id, pair))!.offer!;
    expect((await seatsOfOffer(pairOffer.reservationId)).sort()).toEqual(
      [event.seats[9]!.id, event.seats[11]!.id].sort(),
    );
  });

  it('counts an offer towards the per-user limit and ends it as claimed when it is paid', async () => {
    const { id, holds } = await soldOut(3, { perUserLimit: 2 });
    const fan = await h.userToken();
    await join(id, fan, { quantity: 2 });
    await giveBack(holds[0]!);
    await giveBack(holds[1]!);
    const offer = (await place(id, fan))!.offer!;
    // The holder gives the last seat back: the fan already holds two, their limit, so it stays on sale.
    await giveBack(holds[2]!);
    const over = await call('POST', '/api/reservations', fan, {
      eventId: id,
      seatIds: [(await soldOutSeat(id))!],
    });
    expect(over.body).toMatchObject({ code: 'PER_USER_LIMIT' });

    const paid = await fetch(`${h.svc.url}/internal/reservations/${offer.reservationId}/confirm`, {
      method: 'POST',
      headers: { ...h.internal, 'content-type': 'application/json' },
      body: JSON.stringify({ paymentId: randomUUID() }),
    });
    expect(paid.status).toBe(200);
    expect(await place(id, fan)).toBeNull();
    const ended = await h.db
      .selectFrom('waitlistEntries')
      .select('status')
      .where('userId', '=', fan.id)
      .execute();
    expect(ended.map((e) => e.status)).toEqual(['CLAIMED']);
  });

  async function soldOutSeat(eventId: string) {
    const row = await h.db
      .selectFrom('seats')
      .select('id')
      .where('eventId', '=', eventId)
      .where('status', '=', 'available')
      .executeTakeFirst();
    return row?.id;
  }

  it('offers two seats returned at the same moment on two instances to two fans, each once', async () => {
    for (let round = 0; round < 5; round++) {
      const { id, holds } = await soldOut(3);
      const fans = [await h.userToken(), await h.userToken(), await h.userToken()];
      for (const fan of fans) await join(id, fan);
      const answers = await Promise.all([
        giveBack(holds[0]!, h.svc.url),
        giveBack(holds[1]!, h.instances[1]!.url),
      ]);
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      const offers = await offersOf(id);
      expect(offers.map((o) => o.userId).sort()).toEqual([fans[0]!.id, fans[1]!.id].sort());
      const seats = (await Promise.all(offers.map((o) => seatsOfOffer(o.reservationId)))).flat();
      expect(seats.sort()).toEqual(
        [...(await seatsOfOfferSource(holds.slice(0, 2).map((hold) => hold.reservationId)))].sort(),
      );
      expect((await place(id, fans[2]!))?.place).toBe(1);
    }
  });

  async function seatsOfOfferSource(reservationIds: string[]) {
    const rows = await h.db
      .selectFrom('reservationSeats')
      .select('seatId')
      .where('reservationId', 'in', reservationIds)
      .execute();
    return rows.map((r) => r.seatId);
  }

  it('offers holds that expire together to as many fans, once, whichever instance sweeps them', async () => {
    const { id, holds } = await soldOut(4);
    const fans = [await h.userToken(), await h.userToken(), await h.userToken()];
    for (const fan of fans) await join(id, fan);
    await Promise.all(holds.slice(0, 2).map((hold) => runOut(hold.reservationId)));
    await eventually(async () => expect(await offersOf(id)).toHaveLength(2));
    const offers = await offersOf(id);
    expect(offers.map((o) => o.userId).sort()).toEqual([fans[0]!.id, fans[1]!.id].sort());
    for (const o of offers) expect(await announced('waitlist.offered', o.reservationId)).toBe(1);
    expect((await place(id, fans[2]!))?.place).toBe(1);
  });

  it('makes one offer from a refund delivered twice', async () => {
    const event = onSaleEvent(1, { perUserLimit: 4 });
    await deliver(h.svc, published(event));
    const buyer = await h.userToken();
    const held = await call('POST', '/api/reservations', buyer, {
      eventId: event.eventId,
      seatIds: [event.seats[0]!.id],
    });
    const paymentId = randomUUID();
    await fetch(`${h.svc.url}/internal/reservations/${held.body.reservationId}/confirm`, {
      method: 'POST',
      headers: { ...h.internal, 'content-type': 'application/json' },
      body: JSON.stringify({ paymentId }),
    });
    const [ann, ben] = [await h.userToken(), await h.userToken()];
    await join(event.eventId, ann);
    await join(event.eventId, ben);
    const refund = makeEnvelope('payment.refunded', {
      paymentId,
      orderId: 'order',
      reservationId: held.body.reservationId,
      eventId: event.eventId,
      userId: buyer.id,
      amount: held.body.amount,
      totalRefunded: held.body.amount,
      seatIds: [event.seats[0]!.id],
      full: true,
      reason: 'changed my mind',
    });
    for (const svc of h.instances) {
      const sync = await svc.db.transaction().execute((trx) => svc.handlers.payment(refund, trx));
      await svc.handlers.afterPayment(sync);
    }
    const offers = await offersOf(event.eventId);
    expect(offers.map((o) => o.userId)).toEqual([ann.id]);
    expect(await seatsOfOffer(offers[0]!.reservationId)).toEqual([event.seats[0]!.id]);
    expect((await place(event.eventId, ben))?.place).toBe(1);
  });

  it('makes no offer on a cancelled event', async () => {
    const { id, event, holds } = await soldOut(1);
    const fan = await h.userToken();
    await join(id, fan);
    await deliver(h.svc, makeEnvelope('event.cancelled', { eventId: event.eventId, reason: 'storm' }));
    expect(
      (await call('GET', `/api/reservations/${holds[0]!.reservationId}`, holds[0]!.holder)).body.status,
    ).toBe('CANCELLED');
    expect(await offersOf(id)).toHaveLength(0);
    // The list of a cancelled concert is over: the fan is no longer shown a place at its head.
    expect(await place(id, fan)).toBeNull();
    const closed = await h.db
      .selectFrom('waitlistEntries')
      .select('status')
      .where('eventId', '=', id)
      .where('userId', '=', fan.id)
      .executeTakeFirstOrThrow();
    expect(closed.status).toBe('CLOSED');
    // And the fan is told (the notification service mails it), once, with what they waited for.
    const told = await sql<{ data: unknown }>`select envelope->'data' as data from outbox
      where type = 'waitlist.closed' and envelope->'data'->>'eventId' = ${id}`.execute(h.db);
    expect(told.rows).toEqual([
      { data: { eventId: id, userId: fan.id, quantity: 1, reason: 'event_cancelled' } },
    ]);
  });
});
