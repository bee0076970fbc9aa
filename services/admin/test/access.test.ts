import { randomUUID } from 'node:crypto';
import type { AdminUpstream } from '@tiketi/contracts';
import { createTestTokens, type TestTokens, testLogger } from '@tiketi/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';

/** Nothing listens on port 9 (discard): every upstream is down. */
const DOWN = 'http://127.0.0.1:9';
const allDown: Record<AdminUpstream, string> = {
  analytics: DOWN,
  event: DOWN,
  reservation: DOWN,
  payment: DOWN,
  user: DOWN,
  queue: DOWN,
};

describe('admin access and outages', () => {
  let tokens: TestTokens;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let admin: string;
  let fan: string;
  let staff: string;
  beforeAll(async () => {
    tokens = await createTestTokens();
    app = await buildApp({
      logger: testLogger(),
      jwks: tokens.jwks,
      internalToken: 'adm-access-internal',
      upstreams: allDown,
      timeoutMs: 500,
      retries: 0,
    });
    admin = `Bearer ${await tokens.sign({ id: randomUUID(), role: 'admin' })}`;
    fan = `Bearer ${await tokens.sign({ id: randomUUID(), role: 'user' })}`;
    staff = `Bearer ${await tokens.sign({ id: randomUUID(), role: 'staff' })}`;
  });
  afterAll(() => app?.close());

  const id = randomUUID();
  const voucher = { code: 'WELCOME', kind: 'percent', value: 10, maxUses: 100 };
  const voucherChange = { kind: 'percent', value: 10, maxUses: 100, active: false };
  const routes: { method: 'GET' | 'POST' | 'PUT'; url: string; payload?: object }[] = [
    { method: 'GET', url: '/api/admin/dashboard' },
    { method: 'GET', url: `/api/admin/events/${id}/sales` },
    { method: 'GET', url: `/api/admin/queue/${id}` },
    { method: 'GET', url: '/api/admin/users?query=kim' },
    { method: 'GET', url: `/api/admin/users/${id}` },
    { method: 'GET', url: '/api/admin/reservations' },
    { method: 'GET', url: '/api/admin/payments' },
    { method: 'POST', url: `/api/admin/payments/${id}/refund`, payload: { reason: 'duplicate order' } },
    { method: 'GET', url: `/api/admin/events/${id}/vouchers` },
    { method: 'POST', url: `/api/admin/events/${id}/vouchers`, payload: voucher },
    { method: 'PUT', url: `/api/admin/vouchers/${id}`, payload: voucherChange },
    { method: 'GET', url: `/api/admin/events/${id}/orders.csv` },
    { method: 'GET', url: `/api/admin/events/${id}/attendees.csv` },
  ];

  it('refuses every admin route without a token (401) and to a signed-in fan or door staff (403)', async () => {
    for (const route of routes) {
      const anonymous = await app.inject(route);
      expect(anonymous.statusCode, `${route.method} ${route.url}`).toBe(401);
      expect(anonymous.headers['content-type']).toMatch(/problem\+json/);
      for (const authorization of [fan, staff]) {
        const refused = await app.inject({ ...route, headers: { authorization } });
        expect(refused.statusCode, `${route.method} ${route.url}`).toBe(403);
        expect(refused.json().code).toBe('FORBIDDEN');
      }
    }
  });

  it('decides who may call before it looks at a malformed path, query or body', async () => {
    const malformed: { method: 'GET' | 'POST' | 'PUT'; url: string; payload?: object }[] = [
      { method: 'GET', url: '/api/admin/events/not-an-id/sales' },
      { method: 'GET', url: '/api/admin/reservations?status=LOST' },
      { method: 'POST', url: `/api/admin/payments/${id}/refund`, payload: { amount: -1 } },
      { method: 'POST', url: `/api/admin/events/${id}/vouchers`, payload: { ...voucher, value: 150 } },
      { method: 'PUT', url: `/api/admin/vouchers/${id}`, payload: { ...voucherChange, active: 'no' } },
      { method: 'GET', url: '/api/admin/events/not-an-id/orders.csv' },
    ];
    for (const route of malformed) {
      const where = `${route.method} ${route.url}`;
      const anonymous = await app.inject(route);
      expect(anonymous.statusCode, where).toBe(401);
      expect(anonymous.json().errors, where).toBeUndefined();
      const refused = await app.inject({ ...route, headers: { authorization: fan } });
      expect(refused.statusCode, where).toBe(403);
      expect(refused.json().errors, where).toBeUndefined();
      const invalid = await app.inject({ ...route, headers: { authorization: admin } });
      expect(invalid.statusCode, where).toBe(400);
      expect(invalid.json().code, where).toBe('VALIDATION_FAILED');
    }
  });

  it('documents the vouchers and the CSV exports in its OpenAPI, the exports as text/csv', async () => {
    const res = await app.inject({
      url: '/docs/json',
      headers: { 'x-internal-token': 'adm-access-internal' },
    });
    expect(res.statusCode).toBe(200);
    const paths = (
      res.json() as {
        paths: Record<string, Record<string, { responses: Record<string, { content?: object }> }>>;
      }
    ).paths;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/api/admin/events/{id}/vouchers',
        '/api/admin/vouchers/{id}',
        '/api/admin/events/{id}/orders.csv',
        '/api/admin/events/{id}/attendees.csv',
      ]),
    );
    for (const list of ['orders', 'attendees']) {
      const ok = paths[`/api/admin/events/{id}/${list}.csv`]?.get?.responses['200'];
      expect(Object.keys(ok?.content ?? {}), list).toEqual(['text/csv']);
    }
  });

  it('refuses a forged or expired token', async () => {
    const other = await createTestTokens();
    const forged = `Bearer ${await other.sign({ id: randomUUID(), role: 'admin' })}`;
    const expired = `Bearer ${await tokens.sign({ id: randomUUID(), role: 'admin' }, { expiresIn: '-1m' })}`;
    for (const authorization of [forged, expired, 'Basic YWRtaW46YWRtaW4=']) {
      const res = await app.inject({ url: '/api/admin/dashboard', headers: { authorization } });
      expect(res.statusCode).toBe(401);
    }
  });

  it('answers the dashboard with every part null and every upstream named when all are down', async () => {
    const res = await app.inject({ url: '/api/admin/dashboard', headers: { authorization: admin } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      partial: true,
      unavailable: ['analytics', 'event'],
      analytics: null,
      onSale: null,
    });
  });

  it('marks every missing part of the composed views instead of failing them', async () => {
    const sales = await app.inject({
      url: `/api/admin/events/${id}/sales`,
      headers: { authorization: admin },
    });
    expect(sales.statusCode).toBe(200);
    expect(sales.json()).toMatchObject({
      eventId: id,
      partial: true,
      unavailable: ['event', 'reservation', 'payment'],
      event: null,
      seats: null,
      revenue: null,
    });
    const user = await app.inject({ url: `/api/admin/users/${id}`, headers: { authorization: admin } });
    expect(user.statusCode).toBe(200);
    expect(user.json()).toMatchObject({
      userId: id,
      partial: true,
      unavailable: ['reservation', 'payment', 'user'],
      user: null,
      reservations: null,
      payments: null,
    });
    const queue = await app.inject({ url: `/api/admin/queue/${id}`, headers: { authorization: admin } });
    expect(queue.statusCode).toBe(200);
    expect(queue.json()).toMatchObject({
      partial: true,
      unavailable: ['analytics', 'event', 'reservation', 'queue'],
      queue: null,
    });
  });

  it('answers 503 problem+json for a search or a refund whose only upstream is down', async () => {
    for (const url of [
      '/api/admin/users?query=kim',
      '/api/admin/reservations',
      '/api/admin/payments',
      `/api/admin/events/${id}/vouchers`,
      `/api/admin/events/${id}/orders.csv`,
      `/api/admin/events/${id}/attendees.csv`,
    ]) {
      const res = await app.inject({ url, headers: { authorization: admin } });
      expect(res.statusCode, url).toBe(503);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.json()).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    }
    const refund = await app.inject({
      method: 'POST',
      url: `/api/admin/payments/${id}/refund`,
      headers: { authorization: admin },
      payload: { amount: 10_000, reason: 'customer asked' },
    });
    expect(refund.statusCode).toBe(503);
    expect(refund.headers['content-type']).toMatch(/problem\+json/);
    expect(refund.json()).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', upstream: 'payment' });
  });

  it('refuses a refund that names both an amount and seats, or gives no reason', async () => {
    const both = await app.inject({
      method: 'POST',
      url: `/api/admin/payments/${id}/refund`,
      headers: { authorization: admin },
      payload: { amount: 1000, seatIds: [randomUUID()], reason: 'both' },
    });
    expect(both.statusCode).toBe(400);
    expect(both.json().errors[0].field).toBe('body.seatIds');
    const bare = await app.inject({
      method: 'POST',
      url: `/api/admin/payments/${id}/refund`,
      headers: { authorization: admin },
      payload: { amount: 1000 },
    });
    expect(bare.statusCode).toBe(400);
    expect(bare.json().errors[0].field).toBe('body.reason');
  });

  it('refuses search filters that are not ids or known statuses', async () => {
    const res = await app.inject({
      url: '/api/admin/reservations?userId=42&status=LOST',
      headers: { authorization: admin },
    });
    expect(res.statusCode).toBe(400);
    expect(
      res
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['querystring.status', 'querystring.userId']);
  });
});
