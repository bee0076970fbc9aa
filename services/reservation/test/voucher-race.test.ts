import { describe, expect, it } from 'vitest';
import { bearer, onSaleEvent, reservationSuite } from './helpers.ts';

const USES = 30;
const FANS = USES + 50;

describe('a voucher with N uses is used at most N times', () => {
  const event = onSaleEvent(FANS, { perUserLimit: 1 });
  const h = reservationSuite('resv-voucher-race', {
    instances: [1, 2, 3].map(() => ({ listen: true })),
    events: [event],
  });

  it(`lets ${USES} of ${FANS} fans applying the code at once through 3 instances have it`, async () => {
    const created = await fetch(`${h.svc.url}/internal/events/${event.eventId}/vouchers`, {
      method: 'POST',
      headers: { ...h.internal, 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'DROP', kind: 'amount', value: 5000, maxUses: USES }),
    });
    expect(created.status).toBe(201);
    const fans = await Promise.all(
      event.seats.map(async (seat) => {
        const fan = await h.userToken();
        const res = await fetch(`${h.svc.url}/api/reservations`, {
          method: 'POST',
          headers: bearer(fan.token, { 'content-type': 'application/json' }),
          body: JSON.stringify({ eventId: event.eventId, seatIds: [seat.id] }),
        });
        expect(res.status).toBe(201);
        return {
          token: fan.token,
          reservationId: ((await res.json()) as { reservationId: string }).reservationId,
        };
      }),
    );

    const results = await Promise.all(
      fans.map(async (fan, i) => {
        const target = h.instances[i % h.instances.length]!;
        const res = await fetch(`${target.url}/api/reservations/${fan.reservationId}/voucher`, {
          method: 'PUT',
          headers: bearer(fan.token, { 'content-type': 'application/json' }),
          body: JSON.stringify({ code: 'drop' }),
        });
        return { status: res.status, body: (await res.json()) as { code?: string; amount?: number } };
      }),
    );

    const applied = results.filter((r) => r.status === 200);
    expect(applied).toHaveLength(USES);
    for (const r of applied) expect([150_000 - 5000, 90_000 - 5000]).toContain(r.body.amount);
    const refused = results.filter((r) => r.status !== 200);
    expect(refused).toHaveLength(FANS - USES);
    for (const r of refused) expect(r).toMatchObject({ status: 422, body: { code: 'VOUCHER_USED_UP' } });

    const voucher = await h.db.selectFrom('vouchers').selectAll().executeTakeFirstOrThrow();
    expect(voucher.used).toBe(USES);
    const discounted = await h.db
      .selectFrom('reservations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('voucherId', '=', voucher.id)
      .executeTakeFirstOrThrow();
    expect(Number(discounted.n)).toBe(USES);
  });
});
