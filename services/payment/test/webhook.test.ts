import { outsideHeldConnections, sql } from '@tiketi/kit';
import { PAYMENT_STATUS_CHANGED } from '@tiketi/toss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, openPaymentHarness, type PaymentHarness } from './harness.ts';

describe('Toss webhooks', () => {
  let h: PaymentHarness;
  let eventId: string;
  let seatIds: string[];
  beforeAll(async () => {
    h = await openPaymentHarness('pay-webhook');
    ({ eventId, seatIds } = await h.publishEvent(10));
  });
  const seat = (i: number) => seatIds[i] as string;
  afterAll(() => h.cleanup());

  const post = (body: unknown) =>
    h.payment.app.inject({ method: 'POST', url: '/api/payments/toss/webhook', payload: body as object });
  const statusChanged = (data: Record<string, unknown>) => ({
    eventType: PAYMENT_STATUS_CHANGED,
    createdAt: new Date().toISOString(),
    data,
  });

  it('changes nothing when the same webhook is delivered five times', async () => {
    const alice = await h.user();
    const done = await h.checkout(alice.token, eventId, [seat(0)]);
    expect((await h.confirm(alice.token, done.confirmBody)).statusCode).toBe(200);
    const before = await h.db
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', done.paymentId)
      .executeTakeFirstOrThrow();
    const tossPayment = h.atToss(done.confirmBody.orderId)[0];
    for (let i = 0; i < 5; i++) {
      const res = await post(statusChanged({ ...tossPayment }));
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ result: 'applied' });
    }
    const after = await h.db
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', done.paymentId)
      .executeTakeFirstOrThrow();
    expect(after).toEqual(before);
    expect((await h.outbox(done.paymentId)).map((e) => e.type)).toEqual(['payment.completed']);
    expect(h.atToss(done.confirmBody.orderId)).toMatchObject([{ status: 'DONE', balanceAmount: 55_000 }]);
  });

  it('does not wait, holding a connection, while the payment is being worked on', async () => {
    const dana = await h.user();
    const done = await h.checkout(dana.token, eventId, [seat(7)]);
    expect((await h.confirm(dana.token, done.confirmBody)).statusCode).toBe(200);
    const tossPayment = h.atToss(done.confirmBody.orderId)[0];
    // Another worker (a confirm, a refund, reconciliation) holds the payment's lock meanwhile.
    const answer = await h.db.connection().execute(async (conn) => {
      await sql`select pg_advisory_lock(4004, hashtext(${done.paymentId}))`.execute(conn);
      try {
        return await Promise.race([
          // The webhook is another request, with its own connection (sent from outside the held one).
          outsideHeldConnections(async () => await post(statusChanged({ ...tossPayment }))),
          new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), 5_000)),
        ]);
      } finally {
        await sql`select pg_advisory_unlock(4004, hashtext(${done.paymentId}))`.execute(conn);
      }
    });
    expect(answer).not.toBe('still waiting');
    if (answer === 'still waiting') return;
    // Toss delivers a webhook again until it is answered 200.
    expect(answer.statusCode).toBe(503);
    expect(answer.json()).toMatchObject({ code: 'PAYMENT_BUSY' });
    expect(answer.headers['retry-after']).toBe('5');
    const again = await post(statusChanged({ ...tossPayment }));
    expect(again.json()).toEqual({ result: 'applied' });
    expect((await h.getPayment(dana.token, done.paymentId)).status).toBe('COMPLETED');
  });

  it('ignores a forged webhook for a payment Toss does not have', async () => {
    const bob = await h.user();
    const held = await h.hold(bob.token, eventId, [seat(1)]);
    const opened = (await h.request(bob.token, held.reservationId, held.amount)).json() as {
      orderId: string;
      paymentId: string;
    };
    const forged = await post(
      statusChanged({
        paymentKey: 'tsb_forged_key',
        orderId: opened.orderId,
        status: 'DONE',
        totalAmount: 55_000,
      }),
    );
    expect(forged.statusCode).toBe(200);
    expect(forged.json()).toEqual({ result: 'ignored' });
    expect((await h.getPayment(bob.token, opened.paymentId)).status).toBe('PENDING');
    expect((await h.reservationRow(held.reservationId)).status).toBe('PENDING');
    expect(await h.outbox(opened.paymentId)).toEqual([]);

    // A webhook about an order that is not ours costs no call to Toss (each one spends the merchant's quota).
    const lookups = h.sandbox.calls().get;
    for (const orderId of ['tiketi-00000000-0000-7000-8000-000000000000', 'somebody-elses-order']) {
      const stranger = await post(
        statusChanged({ paymentKey: 'tsb_any_key', orderId, status: 'DONE', totalAmount: 55_000 }),
      );
      expect(stranger.json()).toEqual({ result: 'ignored' });
    }
    expect(h.sandbox.calls().get).toBe(lookups);

    const garbage = await post({ hello: 'world' });
    expect(garbage.statusCode).toBe(400);
  });

  it('ends the payment, charging nothing, when Toss reports the customer gave up at checkout', async () => {
    h.sandbox.setWebhookUrl(`${h.paymentUrl}/api/payments/toss/webhook`);
    try {
      const carol = await h.user();
      const held = await h.hold(carol.token, eventId, [seat(2)]);
      const opened = (await h.request(carol.token, held.reservationId, held.amount)).json() as {
        paymentUrl: string;
        paymentId: string;
      };
      // Carol gives up at the checkout page: Toss reports ABORTED and the payment ends, nothing charged.
      const paymentKey = new URL(opened.paymentUrl).pathname.split('/').pop() ?? '';
      h.sandbox.abort(paymentKey);
      await eventually(async () => {
        const p = await h.getPayment(carol.token, opened.paymentId);
        expect(p).toMatchObject({ status: 'FAILED', failure: { code: 'PAY_PROCESS_CANCELED' } });
      });
      expect((await h.outbox(opened.paymentId)).map((e) => e.type)).toEqual(['payment.failed']);
      expect(h.sandbox.webhookAttempts().filter((a) => a.paymentKey === paymentKey)).toMatchObject([
        { status: 'ABORTED', responseStatus: 200 },
      ]);
    } finally {
      h.sandbox.setWebhookUrl(undefined);
    }
  });
});
