import type { AddressInfo } from 'node:net';
import { type App, createServer } from '@tiketi/kit';
import { createTestTokens, type TestTokens, testLogger } from '@tiketi/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';

describe('gateway when a service is slow or gone', () => {
  let tokens: TestTokens;
  let slow: App;
  let gone: App;
  let gateway: App;
  beforeAll(async () => {
    tokens = await createTestTokens();
    ({ app: slow } = await createServer({ name: 'event', logger: testLogger() }));
    slow.get('/api/events', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      return { late: true };
    });
    await slow.listen({ port: 0, host: '127.0.0.1' });
    // A port that was just free: nothing listens there.
    ({ app: gone } = await createServer({ name: 'reservation', logger: testLogger() }));
    await gone.listen({ port: 0, host: '127.0.0.1' });
    const gonePort = (gone.server.address() as AddressInfo).port;
    await gone.close();

    gateway = await buildApp({
      logger: testLogger(),
      jwks: tokens.jwks,
      upstreamTimeoutMs: 300,
      upstreams: {
        event: `http://127.0.0.1:${(slow.server.address() as AddressInfo).port}`,
        reservation: `http://127.0.0.1:${gonePort}`,
      },
    });
  });
  afterAll(async () => {
    await gateway.close();
    await slow.close();
  });

  it('answers 504 problem+json when the service does not answer within the upstream timeout', async () => {
    // The answer would come after 1.5 s as a 200: a 504 means the gateway gave up first.
    const res = await gateway.inject({ url: '/api/events' });
    expect(res.statusCode).toBe(504);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 504, code: 'UPSTREAM_UNAVAILABLE' });
  });

  it('answers 503 problem+json when nothing listens where the service should be', async () => {
    const user = await tokens.sign({ id: '0190f2a4-0000-7000-8000-000000000001' });
    const res = await gateway.inject({
      url: '/api/reservations/0190f2a4-0000-7000-8000-000000000002',
      headers: { authorization: `Bearer ${user}` },
    });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 503, code: 'UPSTREAM_UNAVAILABLE' });
  });
});
