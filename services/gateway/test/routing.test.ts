import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACCESS_TOKEN, servicesBehindGateway } from '@tiketi/contracts';
import { buildApp as buildEventApp } from '@tiketi/event/app';
import type { DB as EventDB } from '@tiketi/event/db';
import { seedDemo } from '@tiketi/event/seed';
import { type App, attestToken, TOKEN_ATTESTATION_HEADER } from '@tiketi/kit';
import {
  challengeHeader,
  createTestTokens,
  openTestInfra,
  testConfig,
  testLogger,
} from '@tiketi/kit/testing';
import { startTestUserService, type TestUserService } from '@tiketi/user/testing';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { routeTable } from '../src/route-table.ts';
import { type EchoService, startEchoService } from './upstreams.ts';

type Echo = { service: string; method: string; url: string; headers: Record<string, string> };

type EventInfraSpec = { service: string; database: { name: string; migrations: string } };

const ATTESTATION_KEY = 'gw-routing-attestation-key-0123456789abcdef';

describe('gateway routing', () => {
  const config = testConfig('gw-routing');
  let infra: Awaited<ReturnType<typeof openTestInfra<EventInfraSpec, EventDB>>>;
  let events: App;
  let users: TestUserService;
  let echoes: { [k: string]: EchoService };
  let gateway: App;
  let base: string;
  let lonely: App;
  let fan: { user: { id: string }; accessToken: string };
  let bearer: { authorization: string };

  // The user and event services run for real; every other one behind the gateway is an echo.
  const echoed = servicesBehindGateway.filter((name) => name !== 'user' && name !== 'event');

  afterAll(async () => {
    await Promise.all(Object.values(echoes).map((e) => e.close()));
    await gateway.close();
    await lonely.close();
    await events.close();
    await users.close();
    await infra.cleanup();
  });

  const register = async (email: string) => {
    const res = await fetch(`${base}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await challengeHeader({}, 'register')) },
      body: JSON.stringify({ email, password: 'correct-horse-1', name: 'Gateway Fan' }),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as { user: { id: string }; accessToken: string };
  };
  beforeAll(async () => {
    infra = await openTestInfra<EventInfraSpec, EventDB>(
      {
        service: 'event',
        database: { name: 'unused', migrations: new URL('../../event/migrations', import.meta.url).pathname },
      },
      config,
    );
    await seedDemo(infra.db);
    events = await buildEventApp({ db: infra.db, logger: testLogger(), readiness: infra.readiness });
    await events.listen({ port: 0, host: '127.0.0.1' });
    const eventUrl = `http://127.0.0.1:${(events.server.address() as AddressInfo).port}`;

    users = await startTestUserService('gw-routing-user');
    await users.app.listen({ port: 0, host: '127.0.0.1' });
    const userUrl = `http://127.0.0.1:${(users.app.server.address() as AddressInfo).port}`;
    echoes = Object.fromEntries(
      await Promise.all(echoed.map(async (name) => [name, await startEchoService(name)] as const)),
    );

    gateway = await buildApp({
      logger: testLogger(),
      jwks: users.jwks,
      upstreams: {
        event: eventUrl,
        user: userUrl,
        ...Object.fromEntries(echoed.map((name) => [name, echoes[name]?.url])),
      },
      webOrigins: ['http://web.test'],
      attestationKey: ATTESTATION_KEY,
      bodyLimitBytes: 1024,
      uploadBodyLimitBytes: 4096,
      upstreamTimeoutMs: 2000,
    });
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;

    // A second gateway whose user service is down.
    lonely = await buildApp({
      logger: testLogger(),
      jwks: users.jwks,
      upstreams: { user: 'http://127.0.0.1:9' },
      upstreamTimeoutMs: 2000,
    });
    fan = await register('gateway-fan@example.com');
    bearer = { authorization: `Bearer ${fan.accessToken}` };
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

  it('routes every prefix of the route table to the service that owns it', async () => {
    for (const route of routeTable.filter((r) => !r.websocket)) {
      if (route.service === 'event' || route.service === 'user') continue;
      const res = await fetch(`${base}${route.prefix}/probe?x=1`, { headers: bearer });
      expect(res.status, route.prefix).toBe(200);
      const echo = (await res.json()) as Echo;
      expect(echo.service, route.prefix).toBe(route.service);
      expect(echo.url, route.prefix).toBe(`${route.prefix}/probe?x=1`);
    }
    const me = await fetch(`${base}/api/users/me`, { headers: bearer });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ id: fan.user.id, email: 'gateway-fan@example.com' });
  });

  it('upgrades /queue to a WebSocket with the queue service', async () => {
    const socket = new WebSocket(`${base.replace('http', 'ws')}/queue/?EIO=4&transport=websocket`);
    const message = await new Promise<string>((resolve, reject) => {
      socket.addEventListener('message', (event) => resolve(String(event.data)));
      socket.addEventListener('error', () => reject(new Error('websocket failed')));
    });
    socket.close();
    expect(message).toBe('hello from queue');
  });

  it('forwards the bearer token untouched with a request id, and drops a client-sent internal token', async () => {
    const res = await fetch(`${base}/api/reservations`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json', 'x-internal-token': 'guess' },
      body: JSON.stringify({ seatIds: [] }),
    });
    const echo = (await res.json()) as Echo & { body: unknown };
    expect(echo.headers.authorization).toBe(bearer.authorization);
    expect(echo.headers['x-request-id']).toBe(res.headers.get('x-request-id'));
    expect(echo.headers['x-internal-token']).toBeUndefined();
    expect(echo.body).toEqual({ seatIds: [] });
  });

  it('vouches to the service for the token it checked, and for no token a client vouched for itself', async () => {
    const signedIn = await fetch(`${base}/api/reservations`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json', [TOKEN_ATTESTATION_HEADER]: 'forged' },
      body: '{}',
    });
    expect(((await signedIn.json()) as Echo).headers[TOKEN_ATTESTATION_HEADER]).toBe(
      attestToken(ATTESTATION_KEY, fan.accessToken),
    );
    // No token checked, no word: a client's own goes no further.
    const anonymous = await fetch(`${base}/api/seats/event/abc`, {
      headers: { [TOKEN_ATTESTATION_HEADER]: attestToken(ATTESTATION_KEY, fan.accessToken) },
    });
    expect(((await anonymous.json()) as Echo).headers[TOKEN_ATTESTATION_HEADER]).toBeUndefined();
  });

  it('refuses a protected route without a token before it reaches the service', async () => {
    const before = echoes.reservation?.seen.length;
    const res = await fetch(`${base}/api/reservations`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect(echoes.reservation?.seen.length).toBe(before);
    expect((await fetch(`${base}/api/tickets`)).status).toBe(401);
    expect((await fetch(`${base}/api/waitlist/abc`)).status).toBe(401);
    expect((await fetch(`${base}/api/admin/dashboard`)).status).toBe(401);
    expect((await fetch(`${base}/api/notifications`)).status).toBe(401);
    expect((await fetch(`${base}/api/media`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await fetch(`${base}/api/media/abc`, { method: 'DELETE' })).status).toBe(401);
  });

  it('lets anonymous callers reach the public routes', async () => {
    expect((await fetch(`${base}/api/seats/event/abc`)).status).toBe(200);
    expect((await fetch(`${base}/media/images/a.webp`)).status).toBe(200);
    expect((await fetch(`${base}/api/media/abc`)).status).toBe(200);
    const track = await fetch(`${base}/api/analytics/track`, { method: 'POST', body: '{}' });
    expect(track.status).toBe(200);
    const webhook = await fetch(`${base}/api/payments/toss/webhook`, { method: 'POST', body: '{}' });
    expect(webhook.status).toBe(200);
    expect((await fetch(`${base}/api/payments/toss/confirm`, { method: 'POST', body: '{}' })).status).toBe(
      401,
    );
  });

  it('refuses forged and expired tokens even on public routes', async () => {
    const stranger = await createTestTokens();
    const forged = await stranger.sign({ id: fan.user.id, role: 'admin' });
    const refused = await fetch(`${base}/api/events`, { headers: { authorization: `Bearer ${forged}` } });
    expect(refused.status).toBe(401);

    const key = await users.keys.current();
    const expired = await new SignJWT({ role: 'user' })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
      .setIssuer(ACCESS_TOKEN.issuer)
      .setAudience(ACCESS_TOKEN.audience)
      .setSubject(fan.user.id)
      .setExpirationTime('1m ago')
      .sign(key.privateKey);
    const late = await fetch(`${base}/api/tickets`, { headers: { authorization: `Bearer ${expired}` } });
    expect(late.status).toBe(401);
    expect(await late.json()).toMatchObject({ detail: 'The access token has expired.' });
  });

  it('does not check the bearer token on auth routes, where an expired one is normal', async () => {
    const res = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { authorization: 'Bearer expired.or.junk', 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'gateway-fan@example.com', password: 'correct-horse-1' }),
    });
    expect(res.status).toBe(200);
  });

  it('passes a user token on to an admin route, where the service refuses it', async () => {
    const res = await fetch(`${base}/api/users`, { headers: bearer });
    expect(res.status).toBe(403);
  });

  it('never routes internal paths, however they are spelled', async () => {
    expect((await fetch(`${base}/internal/reservations/x`, { headers: bearer })).status).toBe(404);
    // Sent raw: fetch would resolve the dot segments before sending.
    for (const path of ['/api/events/../../internal/x', '/api/events/%2e%2e/%2E%2E/internal/x']) {
      const status = await new Promise<number | undefined>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: new URL(base).port, path }, (res) => {
            res.resume();
            resolve(res.statusCode);
          })
          .on('error', reject);
      });
      expect(status, path).toBe(400);
    }
  });

  it('answers 404 itself for a path no service owns', async () => {
    const res = await fetch(`${base}/api/nothing-here`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('ROUTE_NOT_FOUND');
  });

  it('refuses bodies over the limit with 413, with a larger allowance for an operator’s uploads', async () => {
    const big = JSON.stringify({ text: 'x'.repeat(2000) });
    const refused = await fetch(`${base}/api/reservations`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: big,
    });
    expect(refused.status).toBe(413);
    expect(await refused.json()).toMatchObject({ code: 'BODY_TOO_LARGE' });
    const upload = (authorization: string) =>
      fetch(`${base}/api/media/images`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: big,
      });
    // A fan may not upload at all: the allowance is not theirs.
    expect((await upload(bearer.authorization)).status).toBe(413);
    const operator = await register('gateway-operator@example.com');
    await users.db.updateTable('users').set({ role: 'admin' }).where('id', '=', operator.user.id).execute();
    const signedIn = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'gateway-operator@example.com', password: 'correct-horse-1' }),
    });
    const { accessToken } = (await signedIn.json()) as { accessToken: string };
    expect((await upload(`Bearer ${accessToken}`)).status).toBe(200);
  });

  it('allows the web origin by CORS and no other', async () => {
    const preflight = await fetch(`${base}/api/reservations`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://web.test',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://web.test');
    const simple = await fetch(`${base}/api/events`, { headers: { origin: 'http://web.test' } });
    expect(simple.headers.get('access-control-allow-origin')).toBe('http://web.test');
    expect(simple.headers.get('access-control-expose-headers')).toMatch(/x-request-id/);
    const stranger = await fetch(`${base}/api/events`, { headers: { origin: 'http://evil.test' } });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers 503 problem+json when the owning service is down', async () => {
    const res = await lonely.inject({ url: '/api/users/me', headers: bearer });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      detail: expect.stringMatching(/user service/),
    });
  });
});
