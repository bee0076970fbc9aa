import type { AddressInfo } from 'node:net';
import { buildApp as buildEventApp } from '@tiketi/event/app';
import type { DB as EventDB } from '@tiketi/event/db';
import { seedDemo } from '@tiketi/event/seed';
import { openTestInfra, testConfig, testLogger } from '@tiketi/kit/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';

describe('gateway routing', async () => {
  const config = testConfig('gw-routing');
  const infra = await openTestInfra<
    { service: string; database: { name: string; migrations: string } },
    EventDB
  >(
    {
      service: 'event',
      database: { name: 'unused', migrations: new URL('../../event/migrations', import.meta.url).pathname },
    },
    config,
  );
  await seedDemo(infra.db);
  const events = await buildEventApp({ db: infra.db, logger: testLogger(), readiness: infra.readiness });
  await events.listen({ port: 0, host: '127.0.0.1' });
  const eventUrl = `http://127.0.0.1:${(events.server.address() as AddressInfo).port}`;
  const gateway = await buildApp({
    logger: testLogger(),
    upstreams: { event: eventUrl, user: 'http://127.0.0.1:9' },
    upstreamTimeoutMs: 2000,
  });
  await gateway.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;

  afterAll(async () => {
    await gateway.close();
    await events.close();
    await infra.cleanup();
  });

  it('serves the seeded events from the event service through GET /api/events', async () => {
    const res = await fetch(`${base}/api/events`, { headers: { 'x-request-id': 'gw-test-1' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('gw-test-1');
    const body = (await res.json()) as { items: { title: string }[]; total: number };
    expect(body.total).toBeGreaterThanOrEqual(3);
    expect(body.items.map((e) => e.title)).toContain('IU — The Golden Hour');
  });

  it('passes query strings and validation problems through unchanged', async () => {
    const res = await fetch(`${base}/api/events?pageSize=0`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect(((await res.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe(
      'querystring.pageSize',
    );
  });

  it('answers 404 itself for a path no service owns', async () => {
    const res = await fetch(`${base}/api/nothing-here`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('ROUTE_NOT_FOUND');
  });

  it('answers 503 problem+json when the owning service is down', async () => {
    const res = await fetch(`${base}/api/users/me`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      detail: expect.stringMatching(/user service/),
    });
  });
});
