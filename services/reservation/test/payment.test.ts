import { randomUUID } from 'node:crypto';
import type { EventInput } from '@tiketi/contracts';
import { makeEnvelope, publishInTransaction, sql } from '@tiketi/kit';
import { describe, expect, it } from 'vitest';
import { bearer, eventually, onSaleEvent, reservationSuite } from './helpers.ts';

type Ticket = { id: string; seatId: string; seatLabel: string };

describe('payment, tickets and check-in', () => {
  const event = onSaleEvent(30, { perUserLimit: 10 });
  const seat = (i: number) => event.seats[i]!.id;
  const h = reservationSuite('resv-pay', {
    config: {
      HOLD_TTL_SECONDS: 300,
      HOLD_MAX_SECONDS: 400,
      // The event starts in 30 days; its doors are open for the check-in tests here.
      CHECK_IN_OPENS_MINUTES_BEFORE: 31 * 24 * 60,
    },
    instances: [{ consume: true }],
    events: [event],
    start: true,
  });
  const alice = h.user();
  const bob = h.user();
  const staff = h.user('admin');

  async function hold(token: string, seatIds: string[]) {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/reservations',
      headers: bearer(token),
      payload: { eventId: event.eventId, seatIds },
    });
    expect(res.statusCode).toBe(201);
    return res.json() as { reservationId: string; amount: number; expiresAt: string };
  }
  const confirm = (id: string, paymentId: string, orderId?: string) =>
    h.app.inject({
      method: 'POST',
      url: `/internal/reservations/${id}/confirm`,
      headers: h.internal,
      payload: { paymentId, orderId },
    });
  const seatStatus = async (id: string) => {
    const res = await h.app.inject({ url: `/api/seats/event/${event.eventId}` });
    return (res.json() as { seats: { id: string; status: string }[] }).seats.find((s) => s.id === id)?.status;
  };
  const reservation = async (id: string) =>
    h.db.selectFrom('reservations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const checkIn = (qr: string, token = staff.token) =>
    h.app.inject({ method: 'POST', url: '/api/tickets/check-in', headers: bearer(token), payload: { qr } });
  const qrOf = async (ticketId: string, token: string) =>
    (
      (await h.app.inject({ url: `/api/tickets/${ticketId}`, headers: bearer(token) })).json() as {
        qr: string;
      }
    ).qr;
  const paymentEvent = (r: { reservationId: string; amount: number }, userId: string) =>
    ({
      paymentId: randomUUID(),
      orderId: `order-${randomUUID()}`,
      paymentKey: `key-${randomUUID()}`,
      reservationId: r.reservationId,
      eventId: event.eventId,
      userId,
      amount: r.amount,
      method: 'card',
      approvedAt: new Date().toISOString(),
    }) satisfies EventInput<'payment.completed'>;

  it('tells internal callers what still ties a user to a sale: live holds and tickets for events to come', async () => {
    const commitments = async (userId: string) => {
      const res = await h.app.inject({ url: `/internal/users/${userId}/commitments`, headers: h.internal });
      expect(res.statusCode).toBe(200);
      return res.json();
    };
    const carol = await h.userToken();
    expect((await h.app.inject({ url: `/internal/users/${carol.id}/commitments` })).statusCode).toBe(403);
    expect(await commitments(carol.id)).toEqual({ holds: 0, upcomingTickets: 0 });
    const held = await hold(carol.token, [seat(20)]);
    expect(await commitments(carol.id)).toEqual({ holds: 1, upcomingTickets: 0 });
    expect((await confirm(held.reservationId, randomUUID())).statusCode).toBe(200);
    expect(await commitments(carol.id)).toEqual({ holds: 0, upcomingTickets: 1 });
    // The event took place: its tickets tie nobody any more.
    await h.db
      .updateTable('events')
      .set({ startsAt: new Date(Date.now() - 86_400_000) })
      .where('id', '=', event.eventId)
      .execute();
    try {
      expect(await commitments(carol.id)).toEqual({ holds: 0, upcomingTickets: 0 });
    } finally {
      await h.db
        .updateTable('events')
        .set({ startsAt: new Date(event.startsAt) })
        .where('id', '=', event.eventId)
        .execute();
    }
    const upper = await h.app.inject({
      url: `/internal/users/${carol.id.toUpperCase()}/commitments`,
      headers: h.internal,
    });
    expect(upper.json()).toEqual({ holds: 0, upcomingTickets: 1 });
  });

  it('gives the payment service the reservation as its contract says, to internal callers only', async () => {
    const r = await hold(alice.token, [seat(0), seat(15)]);
    expect((await h.app.inject({ url: `/internal/reservations/${r.reservationId}` })).statusCode).toBe(403);
    const res = await h.app.inject({ url: `/internal/reservations/${r.reservationId}`, headers: h.internal });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      id: r.reservationId,
      userId: alice.id,
      eventId: event.eventId,
      status: 'PENDING',
      amount: 240_000,
      expiresAt: r.expiresAt,
      seats: expect.arrayContaining([
        { id: seat(0), label: 'A-1', price: 150_000 },
        { id: seat(15), label: 'A-16', price: 90_000 },
      ]),
      usedSeatIds: [],
    });
  });

  it('extends a pending hold for a payment in progress, never past the hard ceiling, announcing each change', async () => {
    const r = await hold(alice.token, [seat(1)]);
    const extend = (seconds: number) =>
      h.app.inject({
        method: 'POST',
        url: `/internal/reservations/${r.reservationId}/extend`,
        headers: h.internal,
        payload: { seconds, amount: r.amount },
      });
    const created = (await reservation(r.reservationId)).createdAt.getTime();
    const longer = await extend(350);
    expect(longer.statusCode).toBe(200);
    const extended = new Date((longer.json() as { expiresAt: string }).expiresAt).getTime();
    expect(extended).toBeGreaterThan(new Date(r.expiresAt).getTime());
    const capped = await extend(1800);
    expect(new Date((capped.json() as { expiresAt: string }).expiresAt).getTime()).toBe(created + 400_000);
    // At the ceiling already: nothing changes, so nothing is announced.
    expect((await extend(1800)).statusCode).toBe(200);
    const announced = await sql<{ data: Record<string, string> }>`select envelope->'data' as data from outbox
      where type = 'reservation.extended' and envelope->'data'->>'reservationId' = ${r.reservationId}
      order by envelope->'data'->>'expiresAt'`.execute(h.db);
    expect(announced.rows.map((row) => row.data)).toEqual(
      [extended, created + 400_000].map((at) => ({
        reservationId: r.reservationId,
        eventId: event.eventId,
        userId: alice.id,
        expiresAt: new Date(at).toISOString(),
      })),
    );
    await h.app.inject({
      method: 'DELETE',
      url: `/api/reservations/${r.reservationId}`,
      headers: bearer(alice.token),
    });
    const released = await extend(60);
    expect(released.statusCode).toBe(409);
    expect(released.json()).toMatchObject({ code: 'HOLD_RELEASED' });
  });

  it('confirms once per payment: tickets issued per seat, the same answer again, seats sold', async () => {
    const r = await hold(alice.token, [seat(2), seat(3)]);
    const paymentId = randomUUID();
    const first = await confirm(r.reservationId, paymentId, 'tiketi-order-1');
    expect(first.statusCode).toBe(200);
    const body = first.json() as { status: string; tickets: Ticket[] };
    expect(body.status).toBe('CONFIRMED');
    expect(body.tickets.map((t) => t.seatId).sort()).toEqual([seat(2), seat(3)].sort());
    const again = await confirm(r.reservationId, paymentId);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(body);
    const otherPayment = await confirm(r.reservationId, randomUUID());
    expect(otherPayment.statusCode).toBe(409);
    expect(otherPayment.json()).toMatchObject({ code: 'ALREADY_CONFIRMED' });
    expect(await seatStatus(seat(2))).toBe('sold');
    const events = await sql<{ type: string }>`select type from outbox
      where envelope->'data'->>'reservationId' = ${r.reservationId} order by type`.execute(h.db);
    expect(events.rows.map((e) => e.type)).toEqual([
      'reservation.confirmed',
      'reservation.created',
      'ticket.issued',
    ]);
    // The tickets' event says what was paid: its mail need not wait for the confirmation's.
    // And the order's number, which its mail gives as the site does.
    const issued = await sql<{
      amount: number;
      orderId: string;
    }>`select (envelope->'data'->>'amount')::int as amount, envelope->'data'->>'orderId' as "orderId" from outbox
      where type = 'ticket.issued' and envelope->'data'->>'reservationId' = ${r.reservationId}`.execute(h.db);
    expect(issued.rows).toEqual([{ amount: r.amount, orderId: 'tiketi-order-1' }]);
  });

  it('refuses to confirm a hold that was released, so the payment gets refunded', async () => {
    const r = await hold(bob.token, [seat(4)]);
    await h.app.inject({
      method: 'DELETE',
      url: `/api/reservations/${r.reservationId}`,
      headers: bearer(bob.token),
    });
    const res = await confirm(r.reservationId, randomUUID());
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'HOLD_RELEASED' });
    expect(await seatStatus(seat(4))).toBe('available');
  });

  it('confirms on payment.completed from RabbitMQ when the direct call never came', async () => {
    const r = await hold(alice.token, [seat(5)]);
    const completed = paymentEvent(r, alice.id);
    await h.db.transaction().execute((trx) => publishInTransaction(trx, 'payment.completed', completed));
    await eventually(async () => expect((await reservation(r.reservationId)).status).toBe('CONFIRMED'));
    expect(await seatStatus(seat(5))).toBe('sold');
    const issued = await sql<{ orderId: string }>`select envelope->'data'->>'orderId' as "orderId" from outbox
      where type = 'ticket.issued' and envelope->'data'->>'reservationId' = ${r.reservationId}`.execute(h.db);
    expect(issued.rows).toEqual([{ orderId: completed.orderId }]);
    // The direct call arriving late with the same payment answers the same tickets.
    const late = await confirm(r.reservationId, completed.paymentId);
    expect(late.statusCode).toBe(200);
    expect((late.json() as { tickets: Ticket[] }).tickets).toHaveLength(1);
  });

  it('does not confirm someone else’s reservation or a different amount from a payment event', async () => {
    const r = await hold(alice.token, [seat(6)]);
    await h.svc.db
      .transaction()
      .execute((trx) =>
        h.svc.handlers.payment(makeEnvelope('payment.completed', paymentEvent(r, bob.id)), trx),
      );
    await h.svc.db
      .transaction()
      .execute((trx) =>
        h.svc.handlers.payment(
          makeEnvelope('payment.completed', { ...paymentEvent(r, alice.id), amount: 100 }),
          trx,
        ),
      );
    expect((await reservation(r.reservationId)).status).toBe('PENDING');
    const bobReads = await h.app.inject({
      url: `/api/reservations/${r.reservationId}`,
      headers: bearer(bob.token),
    });
    expect(bobReads.statusCode).toBe(404);
  });

  it('shows tickets to their owner only, with the signed QR code', async () => {
    const r = await hold(alice.token, [seat(7)]);
    const { tickets } = (await confirm(r.reservationId, randomUUID())).json() as { tickets: Ticket[] };
    const ticket = tickets[0]!;
    const mine = await h.app.inject({ url: '/api/tickets', headers: bearer(alice.token) });
    expect((mine.json() as { items: { id: string }[] }).items.map((t) => t.id)).toContain(ticket.id);
    const bobs = await h.app.inject({ url: '/api/tickets', headers: bearer(bob.token) });
    expect((bobs.json() as { items: { id: string }[] }).items.map((t) => t.id)).not.toContain(ticket.id);
    const detail = await h.app.inject({ url: `/api/tickets/${ticket.id}`, headers: bearer(alice.token) });
    expect(detail.json()).toMatchObject({
      id: ticket.id,
      status: 'ISSUED',
      qr: expect.stringMatching(/^TKT1\./),
    });
    expect(
      (await h.app.inject({ url: `/api/tickets/${ticket.id}`, headers: bearer(bob.token) })).statusCode,
    ).toBe(404);
  });

  it('checks a ticket in once and refuses the second scan and a forged code', async () => {
    const r = await hold(alice.token, [seat(8)]);
    const { tickets } = (await confirm(r.reservationId, randomUUID())).json() as { tickets: Ticket[] };
    const qr = await qrOf(tickets[0]!.id, alice.token);
    expect((await checkIn(qr, alice.token)).statusCode).toBe(403);
    const first = await checkIn(qr);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ ticketId: tickets[0]!.id, status: 'USED', seatLabel: 'A-9' });
    const second = await checkIn(qr);
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ code: 'TICKET_ALREADY_USED' });
    const [prefix, , eventId, sig] = qr.split('.');
    const forged = await checkIn([prefix, randomUUID(), eventId, sig].join('.'));
    expect(forged.statusCode).toBe(422);
    expect(forged.json()).toMatchObject({ code: 'TICKET_FORGED' });
  });

  it('voids every ticket and releases every seat on a full refund', async () => {
    const r = await hold(alice.token, [seat(9), seat(10)]);
    const paymentId = randomUUID();
    const { tickets } = (await confirm(r.reservationId, paymentId)).json() as { tickets: Ticket[] };
    const qr = await qrOf(tickets[0]!.id, alice.token);
    const refund = makeEnvelope('payment.refunded', {
      paymentId,
      orderId: 'order',
      reservationId: r.reservationId,
      eventId: event.eventId,
      userId: alice.id,
      amount: r.amount,
      totalRefunded: r.amount,
      seatIds: [seat(9), seat(10)],
      full: true,
      reason: 'changed my mind',
    });
    const sync = await h.svc.db.transaction().execute((trx) => h.svc.handlers.payment(refund, trx));
    expect(sync.seats).toHaveLength(2);
    await h.svc.handlers.afterPayment(sync);
    expect(await seatStatus(seat(9))).toBe('available');
    expect(await seatStatus(seat(10))).toBe('available');
    expect((await reservation(r.reservationId)).status).toBe('REFUNDED');
    const voided = await checkIn(qr);
    expect(voided.statusCode).toBe(409);
    expect(voided.json()).toMatchObject({ code: 'TICKET_VOIDED' });
  });

  it('voids only the refunded seats’ tickets on a partial refund', async () => {
    const r = await hold(bob.token, [seat(11), seat(12)]);
    const paymentId = randomUUID();
    const { tickets } = (await confirm(r.reservationId, paymentId)).json() as { tickets: Ticket[] };
    const refund = makeEnvelope('payment.refunded', {
      paymentId,
      orderId: 'order',
      reservationId: r.reservationId,
      eventId: event.eventId,
      userId: bob.id,
      amount: 90_000,
      totalRefunded: 90_000,
      seatIds: [seat(11)],
      full: false,
      reason: 'one friend cannot come',
    });
    await h.db.transaction().execute((trx) => publishInTransaction(trx, 'payment.refunded', refund.data));
    await eventually(async () => expect(await seatStatus(seat(11))).toBe('available'));
    expect(await seatStatus(seat(12))).toBe('sold');
    expect((await reservation(r.reservationId)).status).toBe('CONFIRMED');
    const states = await h.db
      .selectFrom('tickets')
      .select(['seatId', 'status'])
      .where(
        'id',
        'in',
        tickets.map((t) => t.id),
      )
      .execute();
    expect(Object.fromEntries(states.map((t) => [t.seatId, t.status]))).toEqual({
      [seat(11)]: 'VOIDED',
      [seat(12)]: 'ISSUED',
    });
  });
});
