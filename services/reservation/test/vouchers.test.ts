import { randomUUID } from 'node:crypto';
import { makeEnvelope, sql } from '@tiketi/kit';
import { describe, expect, it } from 'vitest';
import { bearer, eventually, holdAsNewFan, onSaleEvent, reservationSuite } from './helpers.ts';

describe('vouchers', () => {
  const event = onSaleEvent(40, { perUserLimit: 10 });
  const called = onSaleEvent(4);
  const vip = event.priceTiers[0]!.id;
  const seat = (i: number) => event.seats[i]!.id;
  const hour = 3_600_000;

  const h = reservationSuite('resv-voucher', {
    config: { SWEEP_INTERVAL_MS: 100 },
    events: [event, called],
    start: true,
  });

  async function create(body: Record<string, unknown>, eventId = event.eventId) {
    return h.app.inject({
      method: 'POST',
      url: `/internal/events/${eventId}/vouchers`,
      headers: h.internal,
      payload: { kind: 'percent', value: 10, maxUses: 5, ...body },
    });
  }
  async function voucher(body: Record<string, unknown>) {
    const res = await create(body);
    expect(res.statusCode).toBe(201);
    return res.json() as { id: string; code: string };
  }
  const hold = (seatIds: string[]) => holdAsNewFan(h, event.eventId, seatIds);
  const apply = (r: { token: string; reservationId: string }, code: string) =>
    h.app.inject({
      method: 'PUT',
      url: `/api/reservations/${r.reservationId}/voucher`,
      headers: bearer(r.token),
      payload: { code },
    });
  const used = async (id: string) =>
    (await h.db.selectFrom('vouchers').select('used').where('id', '=', id).executeTakeFirstOrThrow()).used;

  it('takes a percentage off the seats of its tiers; the amount and what payment sees follow', async () => {
    const v = await voucher({ code: 'vip-15', value: 15, tierIds: [vip] });
    expect(v.code).toBe('VIP-15');
    const r = await hold([seat(0), seat(20)]);
    const res = await apply(r, '  vip-15 ');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ amount: 240_000 - 22_500, discount: 22_500, voucherCode: 'VIP-15' });
    const internalView = await h.app.inject({
      url: `/internal/reservations/${r.reservationId}`,
      headers: h.internal,
    });
    expect(internalView.json()).toMatchObject({
      amount: 217_500,
      seats: expect.arrayContaining([
        { id: seat(0), label: 'A-1', price: 127_500 },
        { id: seat(20), label: 'A-21', price: 90_000 },
      ]),
    });
    expect(await used(v.id)).toBe(1);
  });

  it('takes a fixed amount off, replaces an earlier code giving its use back, and is removed again', async () => {
    const first = await voucher({ code: 'TENK', kind: 'amount', value: 10_000 });
    const second = await voucher({ code: 'TWENTYK', kind: 'amount', value: 20_000 });
    const r = await hold([seat(21)]);
    expect((await apply(r, 'tenk')).json()).toMatchObject({ amount: 80_000, discount: 10_000 });
    expect((await apply(r, 'tenk')).json()).toMatchObject({ amount: 80_000 });
    expect(await used(first.id)).toBe(1);
    expect((await apply(r, 'twentyk')).json()).toMatchObject({ amount: 70_000, voucherCode: 'TWENTYK' });
    expect([await used(first.id), await used(second.id)]).toEqual([0, 1]);
    const removed = await h.app.inject({
      method: 'DELETE',
      url: `/api/reservations/${r.reservationId}/voucher`,
      headers: bearer(r.token),
    });
    expect(removed.json()).toMatchObject({ amount: 90_000, discount: 0, voucherCode: null });
    expect(await used(second.id)).toBe(0);
  });

  it('refuses each bad code with its own problem code and changes nothing', async () => {
    await voucher({ code: 'LATER', validFrom: new Date(Date.now() + hour).toISOString() });
    await voucher({ code: 'OVER', validUntil: new Date(Date.now() - hour).toISOString() });
    await voucher({ code: 'VIPONLY', tierIds: [vip] });
    const once = await voucher({ code: 'ONCE', maxUses: 1 });
    await apply(await hold([seat(22)]), 'ONCE');
    const r = await hold([seat(23)]);
    for (const [code, problem] of [
      ['NOPE', 'VOUCHER_UNKNOWN'],
      ['LATER', 'VOUCHER_NOT_YET_VALID'],
      ['OVER', 'VOUCHER_EXPIRED'],
      ['VIPONLY', 'VOUCHER_NOT_FOR_TIER'],
      ['ONCE', 'VOUCHER_USED_UP'],
    ] as const) {
      const res = await apply(r, code);
      expect(res.statusCode).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: problem });
    }
    expect(await used(once.id)).toBe(1);
    const view = await h.app.inject({
      url: `/api/reservations/${r.reservationId}`,
      headers: bearer(r.token),
    });
    expect(view.json()).toMatchObject({ amount: 90_000, discount: 0, voucherCode: null });
  });

  it('refuses a voucher that would leave less than an online payment can be, keeping its use and the price', async () => {
    const free = await voucher({ code: 'COMP', value: 100 });
    const more = await voucher({ code: 'BIGGER', kind: 'amount', value: 500_000 });
    const almost = await voucher({ code: 'ALMOST', kind: 'amount', value: 89_950 });
    const fine = await voucher({ code: 'JUSTENOUGH', kind: 'amount', value: 89_900 });
    const r = await hold([seat(36)]);
    for (const [code, left] of [
      ['COMP', 0],
      ['BIGGER', 0],
      ['ALMOST', 50],
    ] as const) {
      const res = await apply(r, code);
      expect(res.statusCode).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'VOUCHER_LEAVES_TOO_LITTLE' });
      expect(res.json<{ detail: string }>().detail).toContain(`would come to ${left} KRW`);
    }
    expect([await used(free.id), await used(more.id), await used(almost.id)]).toEqual([0, 0, 0]);
    expect((await apply(r, 'JUSTENOUGH')).json()).toMatchObject({ amount: 100, discount: 89_900 });
    expect(await used(fine.id)).toBe(1);
  });

  it('lets one account try only a few codes in a while, so a presale code cannot be guessed', async () => {
    const v = await voucher({ code: 'FANCLUB-PRESALE' });
    const r = await hold([seat(34)]);
    for (let i = 0; i < 10; i++) {
      expect((await apply(r, `GUESS-${i}`)).json()).toMatchObject({ code: 'VOUCHER_UNKNOWN' });
    }
    // Past the limit even the right code is refused, before anything is looked up: guessing learns nothing.
    const blocked = await apply(r, 'FANCLUB-PRESALE');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['content-type']).toContain('application/problem+json');
    expect(blocked.json()).toMatchObject({ code: 'VOUCHER_ATTEMPTS', minutes: 10 });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(500);
    expect(await used(v.id)).toBe(0);
    // Another fan is not held back by it.
    const other = await hold([seat(35)]);
    expect((await apply(other, 'FANCLUB-PRESALE')).statusCode).toBe(200);
  });

  it('refuses a code on someone else’s reservation as if it did not exist', async () => {
    await voucher({ code: 'MINE' });
    const r = await hold([seat(24)]);
    const stranger = await h.userToken();
    expect((await apply({ ...r, token: stranger.token }, 'MINE')).statusCode).toBe(404);
  });

  const extend = (r: { reservationId: string }, amount: number) =>
    h.app.inject({
      method: 'POST',
      url: `/internal/reservations/${r.reservationId}/extend`,
      headers: h.internal,
      payload: { seconds: 600, amount },
    });

  it('refuses to change the voucher once the payment has started', async () => {
    await voucher({ code: 'LOCKED' });
    const r = await hold([seat(25)]);
    expect((await extend(r, r.amount)).statusCode).toBe(200);
    const res = await apply(r, 'LOCKED');
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'VOUCHER_LOCKED' });
  });

  it('keeps the hold for a payment only of the amount the order comes to now', async () => {
    // The payment service read the order before the fan took the voucher off (or put one on): its
    // payment would charge an amount the order no longer has.
    const v = await voucher({ code: 'RACE-HALF', value: 50, maxUses: 1 });
    const r = await hold([seat(37)]);
    const discounted = (await apply(r, 'RACE-HALF')).json().amount as number;
    expect(discounted).toBe(r.amount / 2);
    const removed = await h.app.inject({
      method: 'DELETE',
      url: `/api/reservations/${r.reservationId}/voucher`,
      headers: bearer(r.token),
    });
    expect(removed.statusCode).toBe(200);

    const stale = await extend(r, discounted);
    expect(stale.statusCode).toBe(409);
    expect(stale.headers['content-type']).toMatch(/problem\+json/);
    expect(stale.json()).toMatchObject({ code: 'AMOUNT_CHANGED', amount: r.amount });
    // Nothing was locked: the order is as the fan left it, and its voucher may still change.
    const row = await h.db
      .selectFrom('reservations')
      .select(['amount', 'checkoutStartedAt', 'expiresAt'])
      .where('id', '=', r.reservationId)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ amount: r.amount, checkoutStartedAt: null });
    expect(row.expiresAt.toISOString()).toBe(r.expiresAt);
    expect(await used(v.id)).toBe(0);
    expect((await extend(r, r.amount)).statusCode).toBe(200);
    expect((await apply(r, 'RACE-HALF')).json()).toMatchObject({ code: 'VOUCHER_LOCKED' });
  });

  it('gives the use back when the hold is cancelled, when it expires and on a full refund', async () => {
    const v = await voucher({ code: 'COMEBACK', maxUses: 3 });
    const cancelled = await hold([seat(26)]);
    const expired = await hold([seat(27)]);
    const refunded = await hold([seat(28)]);
    for (const r of [cancelled, expired, refunded]) expect((await apply(r, 'COMEBACK')).statusCode).toBe(200);
    expect(await used(v.id)).toBe(3);

    await h.app.inject({
      method: 'DELETE',
      url: `/api/reservations/${cancelled.reservationId}`,
      headers: bearer(cancelled.token),
    });
    expect(await used(v.id)).toBe(2);

    await sql`update reservations set expires_at = now() - interval '1 second'
      where id = ${expired.reservationId}`.execute(h.db);
    await eventually(async () => expect(await used(v.id)).toBe(1));

    const paymentId = randomUUID();
    const confirmed = await h.app.inject({
      method: 'POST',
      url: `/internal/reservations/${refunded.reservationId}/confirm`,
      headers: h.internal,
      payload: { paymentId },
    });
    expect(confirmed.statusCode).toBe(200);
    expect(await used(v.id)).toBe(1);
    const refund = makeEnvelope('payment.refunded', {
      paymentId,
      orderId: `order-${paymentId}`,
      reservationId: refunded.reservationId,
      eventId: event.eventId,
      userId: refunded.id,
      amount: 81_000,
      totalRefunded: 81_000,
      seatIds: [seat(28)],
      full: true,
      reason: 'changed my mind',
    });
    await h.svc.db.transaction().execute((trx) => h.svc.handlers.payment(refund, trx));
    expect(await used(v.id)).toBe(0);
  });

  it('validates what an operator sends and refuses a second code of the same name', async () => {
    await voucher({ code: 'TWICE' });
    expect((await create({ code: 'twice' })).json()).toMatchObject({ code: 'VOUCHER_CODE_TAKEN' });
    for (const body of [
      { code: 'x' },
      { code: 'HALF', value: 150 },
      { code: 'BAD CODE' },
      { code: 'WINDOW', validFrom: new Date().toISOString(), validUntil: new Date(0).toISOString() },
    ]) {
      const res = await create(body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect((await create({ code: 'TIERLESS', tierIds: [randomUUID()] })).json()).toMatchObject({
      code: 'UNKNOWN_TIERS',
    });
    expect((await create({ code: 'NOWHERE' }, randomUUID())).statusCode).toBe(404);
    const list = await h.app.inject({
      url: `/internal/events/${event.eventId}/vouchers`,
      headers: h.internal,
    });
    expect((list.json() as { items: { code: string }[] }).items.map((v) => v.code)).toContain('TWICE');
    expect((await h.app.inject({ url: `/internal/events/${event.eventId}/vouchers` })).statusCode).toBe(403);
  });

  it('refuses a new code for a cancelled event, whose seats no one can buy any more', async () => {
    await h.db.updateTable('events').set({ status: 'cancelled' }).where('id', '=', called.eventId).execute();
    const res = await create({ code: 'TOOLATE' }, called.eventId);
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json()).toMatchObject({ code: 'EVENT_CLOSED' });
    const left = await h.db
      .selectFrom('vouchers')
      .select('id')
      .where('eventId', '=', called.eventId)
      .execute();
    expect(left).toHaveLength(0);
  });

  it('changes a voucher’s terms for the uses to come and disables it, keeping the discounts given', async () => {
    const v = await voucher({ code: 'CHANGING', kind: 'percent', value: 10, maxUses: 3 });
    const update = (body: Record<string, unknown>, id = v.id) =>
      h.app.inject({
        method: 'PUT',
        url: `/internal/vouchers/${id}`,
        headers: h.internal,
        payload: { kind: 'percent', value: 10, maxUses: 3, active: true, ...body },
      });
    const first = await hold([seat(30)]);
    expect((await apply(first, 'CHANGING')).json()).toMatchObject({ amount: 81_000 });
    const second = await hold([seat(31)]);
    expect((await apply(second, 'CHANGING')).json()).toMatchObject({ amount: 81_000 });

    // Fewer uses than were taken: refused, and nothing changes.
    const below = await update({ maxUses: 1, value: 50 });
    expect(below.statusCode).toBe(409);
    expect(below.json()).toMatchObject({ code: 'VOUCHER_USES_TAKEN', used: 2 });

    const changed = await update({ kind: 'amount', value: 20_000, maxUses: 2 + 5 });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ code: 'CHANGING', kind: 'amount', value: 20_000, maxUses: 7 });
    expect((await apply(await hold([seat(32)]), 'CHANGING')).json()).toMatchObject({ amount: 70_000 });

    const disabled = await update({ kind: 'amount', value: 20_000, maxUses: 7, active: false });
    expect(disabled.json()).toMatchObject({ active: false, used: 3 });
    const late = await apply(await hold([seat(33)]), 'CHANGING');
    expect(late.statusCode).toBe(422);
    expect(late.json()).toMatchObject({ code: 'VOUCHER_DISABLED' });
    // Those who took it keep what they got.
    const kept = await h.app.inject({
      url: `/api/reservations/${first.reservationId}`,
      headers: bearer(first.token),
    });
    expect(kept.json()).toMatchObject({ amount: 81_000, voucherCode: 'CHANGING' });

    expect((await update({ value: 150 })).statusCode).toBe(400);
    expect((await update({ tierIds: [randomUUID()] })).json()).toMatchObject({ code: 'UNKNOWN_TIERS' });
    expect((await update({}, randomUUID())).statusCode).toBe(404);
    expect(
      (await h.app.inject({ method: 'PUT', url: `/internal/vouchers/${v.id}`, payload: {} })).statusCode,
    ).toBe(403);
  });

  it('keeps regular tier seats at full price under a VIP code', async () => {
    await voucher({ code: 'VIP-AMOUNT', kind: 'amount', value: 50_000, tierIds: [vip] });
    const r = await hold([seat(1), seat(29)]);
    const res = await apply(r, 'VIP-AMOUNT');
    expect(res.json()).toMatchObject({ amount: 150_000 + 90_000 - 50_000, discount: 50_000 });
    const internalView = await h.app.inject({
      url: `/internal/reservations/${r.reservationId}`,
      headers: h.internal,
    });
    expect((internalView.json() as { seats: { id: string; price: number }[] }).seats).toContainEqual({
      id: seat(29),
      label: 'A-30',
      price: 90_000,
    });
  });
});
