import { makeEnvelope, sql } from '@tiketi/kit';
import { describe, expect, it } from 'vitest';
import { bearer, deliver, type Instance, onSaleEvent, published, reservationSuite } from './helpers.ts';

describe('holds racing with the event’s cancellation', () => {
  // Two instances: the one that handles the cancellation, and one still trusting its cached sale settings
  // for a minute, as any instance may during a drop.
  const h = reservationSuite('resv-cancel-race', {
    instances: [{}, { config: { SALE_INFO_CACHE_MS: 60_000 } }],
  });

  const hold = (app: Instance['app'], token: string, eventId: string, seatId: string) =>
    app.inject({
      method: 'POST',
      url: '/api/reservations',
      headers: bearer(token),
      payload: { eventId, seatIds: [seatId] },
    });

  it('leaves no hold active once the cancellation is handled, and refuses every hold after it', async () => {
    const [handler, cached] = h.instances as [Instance, Instance];
    const event = onSaleEvent(60, { perUserLimit: 1 });
    await deliver(handler, published(event));
    const users = await Promise.all(event.seats.map(() => h.userToken()));
    // The cached instance reads the sale settings once, while the event is on sale.
    const first = await hold(cached.app, users[0]!.token, event.eventId, event.seats[0]!.id);
    expect(first.statusCode, first.body).toBe(201);

    let cancelled = false;
    const attempts = event.seats.slice(1, 41).map(async (seat, i) => {
      await new Promise((r) => setTimeout(r, i * 5));
      const app = i % 2 === 0 ? cached.app : handler.app;
      const afterCancel = cancelled;
      const res = await hold(app, users[i + 1]!.token, event.eventId, seat.id);
      return { status: res.statusCode, code: res.json().code as string | undefined, afterCancel };
    });
    await new Promise((r) => setTimeout(r, 60));
    await deliver(handler, makeEnvelope('event.cancelled', { eventId: event.eventId, reason: 'Storm' }));
    cancelled = true;
    const answers = await Promise.all(attempts);

    for (const a of answers) {
      expect([201, 409], JSON.stringify(a)).toContain(a.status);
      if (a.status === 409) expect(a.code).toBe('EVENT_NOT_ON_SALE');
    }
    // Holds started after the cancellation was acknowledged are all refused, whichever instance took them.
    expect(answers.filter((a) => a.afterCancel && a.status === 201)).toEqual([]);
    const { rows } = await sql<{ status: string; n: number }>`
      select status, count(*)::int as n from reservations where event_id = ${event.eventId}
      group by status`.execute(h.db);
    expect(rows.find((r) => r.status === 'PENDING')).toBeUndefined();
    const held = await sql<{ n: number }>`select count(*)::int as n from seats
      where event_id = ${event.eventId} and status <> 'available'`.execute(h.db);
    expect(held.rows[0]?.n).toBe(0);

    const late = await hold(cached.app, users[50]!.token, event.eventId, event.seats[50]!.id);
    expect(late.statusCode).toBe(409);
    expect(late.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(late.json()).toMatchObject({ code: 'EVENT_NOT_ON_SALE' });
  });
});
