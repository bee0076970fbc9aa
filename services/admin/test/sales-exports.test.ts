import { randomUUID } from 'node:crypto';
import type { AdminEventSales, VoucherDto } from '@tiketi/contracts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { operatorOf, type Platform, publishedEvent, signedUp, startPlatform } from './platform.ts';

const BOM = '\ufeff';

type AdminApp = Awaited<ReturnType<Platform['admin']>>;
type Answer = Awaited<ReturnType<AdminApp['inject']>>;

describe('vouchers, the sales report and the CSV exports through the admin service', () => {
  let platform: Platform;
  let admin: AdminApp;
  let asAdmin: { authorization: string };
  let fan: Awaited<ReturnType<typeof signedUp>>;
  let eventId: string;
  let vip: string;
  let vipSeat: string;
  let rSeat: string;
  /** The operator's voucher for the VIP tier, made once for every test here. */
  let made: Answer;

  beforeAll(async () => {
    platform = await startPlatform('adm-sales');
    admin = await platform.admin();
    ({ asAdmin } = await operatorOf(platform, 'boss@sales.test'));
    // A buyer whose name a spreadsheet would run as a formula.
    fan = await signedUp(platform, 'fan@sales.test', '=HYPERLINK("http://evil.test","김민지")');
    eventId = await publishedEvent(platform, asAdmin, {
      title: 'Voucher Night',
      sections: [
        {
          name: 'A',
          rows: [
            { label: '1', seatCount: 4, tierKey: 'VIP' },
            { label: '2', seatCount: 6, tierKey: 'R' },
          ],
        },
      ],
      priceTiers: [
        { key: 'VIP', name: 'VIP석', price: 150_000 },
        { key: 'R', name: 'R석', price: 88_000 },
      ],
    });
    const detail = await platform.event.inject({ url: `/api/events/${eventId}`, headers: asAdmin });
    const tiers = (detail.json() as { priceTiers: { id: string; name: string }[] }).priceTiers;
    vip = tiers.find((t) => t.name === 'VIP석')!.id;
    const internal = { 'x-internal-token': platform.internalToken };
    await vi.waitFor(
      async () => {
        const res = await platform.reservation.app.inject({
          url: `/internal/events/${eventId}/stats`,
          headers: internal,
        });
        expect(res.json()).toMatchObject({ available: 10 });
      },
      { timeout: 15_000, interval: 100 },
    );
    const seatMap = await platform.reservation.app.inject({ url: `/api/seats/event/${eventId}` });
    const seats = (seatMap.json() as { seats: { id: string; tierId: string }[] }).seats;
    vipSeat = seats.find((s) => s.tierId === vip)!.id;
    rSeat = seats.find((s) => s.tierId !== vip)!.id;
    made = await admin.inject({
      method: 'POST',
      url: `/api/admin/events/${eventId}/vouchers`,
      headers: asAdmin,
      payload: { code: 'fan10', kind: 'percent', value: 10, tierIds: [vip], maxUses: 2 },
    });
  });
  afterAll(() => platform?.close());

  /** The fan approves the payment opened at Toss (`paymentUrl`) and comes back to have it confirmed. */
  async function approvedAtToss(paymentUrl: string) {
    const paid = platform.toss.authorize(new URL(paymentUrl).pathname.split('/').pop() ?? '', 'approve');
    const confirmed = await platform.payment.app.inject({
      method: 'POST',
      url: '/api/payments/toss/confirm',
      headers: fan.headers,
      payload: { paymentKey: paid.paymentKey, orderId: paid.orderId, amount: paid.amount },
    });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    return paid;
  }

  it('makes a voucher for the event and lists it with its uses', async () => {
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json()).toMatchObject({ code: 'FAN10', used: 0, maxUses: 2, tierIds: [vip] });
    const again = await admin.inject({
      method: 'POST',
      url: `/api/admin/events/${eventId}/vouchers`,
      headers: asAdmin,
      payload: { code: 'FAN10', kind: 'amount', value: 1000, maxUses: 1 },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'VOUCHER_CODE_TAKEN' });
    const list = await admin.inject({ url: `/api/admin/events/${eventId}/vouchers`, headers: asAdmin });
    expect((list.json() as { items: VoucherDto[] }).items.map((v) => v.code)).toEqual(['FAN10']);
  });

  describe('once the fan has paid for two seats with the voucher', () => {
    // What each step of the checkout answered.
    let applied: Answer;
    let full: Answer;
    let opened: Answer;
    let changed: Answer;
    let reservationId: string;
    let paidAmount: number;

    beforeAll(async () => {
      const hold = await platform.reservation.app.inject({
        method: 'POST',
        url: '/api/reservations',
        headers: fan.headers,
        payload: { eventId, seatIds: [vipSeat, rSeat] },
      });
      expect(hold.statusCode).toBe(201);
      ({ reservationId } = hold.json() as { reservationId: string });
      applied = await platform.reservation.app.inject({
        method: 'PUT',
        url: `/api/reservations/${reservationId}/voucher`,
        headers: fan.headers,
        payload: { code: 'Fan10' },
      });
      const request = (amount: number) =>
        platform.payment.app.inject({
          method: 'POST',
          url: '/api/payments/toss/request',
          headers: fan.headers,
          payload: { reservationId, amount, customerInfo: { name: 'Fan', email: 'fan@sales.test' } },
        });
      full = await request(238_000);
      opened = await request(223_000);
      expect(opened.statusCode, opened.body).toBe(201);
      const { paymentUrl } = opened.json() as { paymentUrl: string };
      // The amount is fixed now that the checkout is open.
      changed = await platform.reservation.app.inject({
        method: 'DELETE',
        url: `/api/reservations/${reservationId}/voucher`,
        headers: fan.headers,
      });
      paidAmount = (await approvedAtToss(paymentUrl)).amount;
      await vi.waitFor(
        async () => {
          const r = await platform.reservation.app.inject({
            url: `/api/reservations/${reservationId}`,
            headers: fan.headers,
          });
          expect(r.json()).toMatchObject({ status: 'CONFIRMED' });
        },
        { timeout: 15_000, interval: 100 },
      );
    });

    it('lets the fan pay the discounted amount, and only that', async () => {
      expect(applied.json()).toMatchObject({
        amount: 135_000 + 88_000,
        discount: 15_000,
        voucherCode: 'FAN10',
      });
      expect(full.statusCode).toBe(422);
      expect(full.json()).toMatchObject({ code: 'AMOUNT_MISMATCH' });
      expect(changed.json()).toMatchObject({ code: 'VOUCHER_LOCKED' });
      expect(paidAmount).toBe(223_000);
      const r = await platform.reservation.app.inject({
        url: `/api/reservations/${reservationId}`,
        headers: fan.headers,
      });
      expect(r.json()).toMatchObject({ status: 'CONFIRMED', amount: 223_000 });
    });

    it('reports the sale by tier and day with revenue, holds, check-ins and voucher uses', async () => {
      const res = await admin.inject({ url: `/api/admin/events/${eventId}/sales`, headers: asAdmin });
      expect(res.statusCode).toBe(200);
      const sales = res.json() as AdminEventSales;
      expect(sales).toMatchObject({ partial: false, revenue: { grossAmount: 223_000, netAmount: 223_000 } });
      expect(sales.report?.tiers).toEqual([
        { tierId: vip, name: 'VIP석', price: 150_000, seats: 4, sold: 1, held: 0, amount: 135_000 },
        expect.objectContaining({ name: 'R석', seats: 6, sold: 1, amount: 88_000 }),
      ]);
      expect(sales.report?.days).toEqual([
        { day: expect.any(String), orders: 1, tickets: 2, amount: 223_000 },
      ]);
      expect(sales.report?.holds).toEqual({ reservations: 0, seats: 0 });
      expect(sales.report?.checkIns).toEqual({ tickets: 2, checkedIn: 0 });
      expect(sales.report?.vouchers).toEqual([{ code: 'FAN10', used: 1, maxUses: 2, discount: 15_000 }]);
    });

    it('exports the orders as CSV for Excel, with formulas neutralised', async () => {
      const res = await admin.inject({ url: `/api/admin/events/${eventId}/orders.csv`, headers: asAdmin });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      // Named as the operator knows the concert, as the web names it; the id's name for older clients.
      const event = (
        await platform.event.inject({ url: `/api/events/${eventId}`, headers: asAdmin })
      ).json() as { startsAt: string };
      const day = new Date(Date.parse(event.startsAt) + 9 * 3_600_000).toISOString().slice(0, 10);
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="orders-${eventId}.csv"; filename*=UTF-8''Voucher%20Night%20${day}%20orders.csv`,
      );
      expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
      expect(res.body.startsWith(BOM)).toBe(true);
      const lines = res.body.slice(1).split('\r\n');
      expect(lines[0]).toBe(
        '주문번호,예약번호,상태,결제일시(KST),구매자,이메일,좌석,매수,정가,바우처,할인,결제금액,환불금액,환불 좌석',
      );
      expect(lines[1]).toContain(`,결제 완료,`);
      expect(lines[1]).toContain(`"'=HYPERLINK(""http://evil.test"",""김민지"")",fan@sales.test,`);
      expect(lines[1]).toMatch(/,2,238000,FAN10,15000,223000,0,$/);
      expect(lines[2]).toBe('');
    });

    it('exports the attendees as CSV, one line per ticket', async () => {
      const res = await admin.inject({ url: `/api/admin/events/${eventId}/attendees.csv`, headers: asAdmin });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      const lines = res.body.slice(1).split('\r\n').filter(Boolean);
      expect(lines[0]).toBe('티켓번호,좌석,등급,상태,입장시각(KST),구매자,이메일,예약번호');
      expect(lines).toHaveLength(3);
      expect(
        lines
          .slice(1)
          .map((l) => l.split(',')[2])
          .sort(),
      ).toEqual(['R석', 'VIP석']);
      for (const line of lines.slice(1)) expect(line).toContain(',발권,,"\'=HYPERLINK(');
    });

    it('lists a seat given back apart from the order’s seats, so that no seat is in two paid orders', async () => {
      const labelOf = async (seatId: string) => {
        const map = await platform.reservation.app.inject({ url: `/api/seats/event/${eventId}` });
        return (map.json() as { seats: { id: string; label: string }[] }).seats.find((s) => s.id === seatId)
          ?.label;
      };
      const [payment] = (
        (await admin.inject({ url: `/api/admin/payments?eventId=${eventId}`, headers: asAdmin })).json() as {
          items: { id: string }[];
        }
      ).items;
      const refunded = await admin.inject({
        method: 'POST',
        url: `/api/admin/payments/${payment?.id}/refund`,
        headers: { ...asAdmin, 'idempotency-key': randomUUID() },
        payload: { seatIds: [rSeat], reason: '좌석 하나 환불' },
      });
      expect(refunded.statusCode, refunded.body).toBe(200);
      const res = await admin.inject({ url: `/api/admin/events/${eventId}/orders.csv`, headers: asAdmin });
      const [, line] = res.body.slice(1).split('\r\n');
      expect(line).toContain(',부분 환불,');
      // The buyer's address, then the seat kept and its count; the seat given back last.
      expect(line).toContain(`,fan@sales.test,${await labelOf(vipSeat)},1,`);
      expect(line?.endsWith(`,${await labelOf(rSeat)}`)).toBe(true);
    });
  });

  describe('once the fan has paid for a seat and two standing places', () => {
    let standingEvent: string;

    beforeAll(async () => {
      standingEvent = await publishedEvent(platform, asAdmin, {
        title: 'Standing Night',
        sections: [
          { name: 'A', rows: [{ label: '1', seatCount: 2, tierKey: 'R' }] },
          { name: 'Floor', standing: { capacity: 5, tierKey: 'ST' } },
        ],
        priceTiers: [
          { key: 'R', name: 'R석', price: 88_000 },
          { key: 'ST', name: '스탠딩', price: 99_000 },
        ],
      });
      let seat = '';
      await vi.waitFor(
        async () => {
          const map = await platform.reservation.app.inject({ url: `/api/seats/event/${standingEvent}` });
          const seats = (map.json() as { seats: { id: string; label: string }[] }).seats;
          seat = seats.find((s) => s.label === 'A-1-1')?.id ?? '';
          expect(seat).not.toBe('');
        },
        { timeout: 15_000, interval: 100 },
      );
      const hold = await platform.reservation.app.inject({
        method: 'POST',
        url: '/api/reservations',
        headers: fan.headers,
        payload: { eventId: standingEvent, seatIds: [seat], standing: [{ section: 'Floor', quantity: 2 }] },
      });
      expect(hold.statusCode, hold.body).toBe(201);
      const { reservationId } = hold.json() as { reservationId: string };
      const opened = await platform.payment.app.inject({
        method: 'POST',
        url: '/api/payments/toss/request',
        headers: fan.headers,
        payload: {
          reservationId,
          amount: 88_000 + 2 * 99_000,
          customerInfo: { name: 'Fan', email: 'fan@sales.test' },
        },
      });
      expect(opened.statusCode, opened.body).toBe(201);
      const { paymentUrl } = opened.json() as { paymentUrl: string };
      await approvedAtToss(paymentUrl);
      await vi.waitFor(
        async () => {
          const res = await platform.reservation.app.inject({
            url: `/internal/events/${standingEvent}/attendees`,
            headers: { 'x-internal-token': platform.internalToken },
          });
          expect((res.json() as { items: unknown[] }).items).toHaveLength(3);
        },
        { timeout: 15_000, interval: 100 },
      );
    });

    it('names the standing places of an order by their area, not the places picked', async () => {
      const res = await admin.inject({
        url: `/api/admin/events/${standingEvent}/orders.csv`,
        headers: asAdmin,
      });
      expect(res.statusCode).toBe(200);
      const lines = res.body.slice(1).split('\r\n').filter(Boolean);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toContain(',A-1-1 Floor 스탠딩 × 2,3,286000,');
      expect(res.body).not.toMatch(/Floor-P\d/);
    });

    it('names each standing ticket by its area and entry number', async () => {
      const res = await admin.inject({
        url: `/api/admin/events/${standingEvent}/attendees.csv`,
        headers: asAdmin,
      });
      expect(res.statusCode).toBe(200);
      const seats = res.body
        .slice(1)
        .split('\r\n')
        .filter(Boolean)
        .slice(1)
        .map((line) => line.split(',')[1]);
      expect(seats).toEqual(['A-1-1', 'Floor 스탠딩 · 입장 번호 1번', 'Floor 스탠딩 · 입장 번호 2번']);
    });
  });

  it('refuses the exports and vouchers to a fan', async () => {
    for (const url of [
      `/api/admin/events/${eventId}/orders.csv`,
      `/api/admin/events/${eventId}/attendees.csv`,
      `/api/admin/events/${eventId}/vouchers`,
    ]) {
      const res = await admin.inject({ url, headers: fan.headers });
      expect(res.statusCode, url).toBe(403);
    }
  });
});
