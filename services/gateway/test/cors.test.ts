import type { AddressInfo } from 'node:net';
import type { App } from '@tiketi/kit';
import { createTestTokens, testLogger } from '@tiketi/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { type EchoService, startEchoService } from './upstreams.ts';

describe('gateway: CORS preflights', () => {
  let event: EchoService;
  let gateway: App;
  let base: string;
  beforeAll(async () => {
    event = await startEchoService('event');
    gateway = await buildApp({
      logger: testLogger(),
      jwks: (await createTestTokens()).jwks,
      upstreams: { event: event.url },
      webOrigins: ['http://web.test'],
    });
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await gateway.close();
    await event.close();
  });

  const options = (path: string, headers: Record<string, string>) =>
    fetch(`${base}${path}`, { method: 'OPTIONS', headers });

  it('refuses an OPTIONS request that is no preflight with a 400 problem naming what it lacks', async () => {
    const cases: { headers: Record<string, string>; lacks: RegExp }[] = [
      { headers: { origin: 'http://web.test' }, lacks: /no Access-Control-Request-Method header/ },
      { headers: { 'access-control-request-method': 'GET' }, lacks: /no Origin header/ },
      { headers: {}, lacks: /no Origin and no Access-Control-Request-Method header/ },
    ];
    for (const path of ['/api/events', '/nowhere']) {
      for (const { headers, lacks } of cases) {
        const res = await options(path, headers);
        expect(res.status, JSON.stringify(headers)).toBe(400);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        expect(await res.json()).toMatchObject({
          status: 400,
          code: 'BAD_PREFLIGHT',
          detail: expect.stringMatching(lacks),
          instance: path,
        });
      }
    }
    expect(event.seen).toEqual([]);
  });

  it('answers a preflight from an origin it does not allow without allowing it', async () => {
    const stranger = await options('/api/events', {
      origin: 'http://evil.test',
      'access-control-request-method': 'DELETE',
    });
    expect(stranger.status).toBe(204);
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    const web = await options('/api/events', {
      origin: 'http://web.test',
      'access-control-request-method': 'POST',
    });
    expect(web.status).toBe(204);
    expect(web.headers.get('access-control-allow-origin')).toBe('http://web.test');
    expect(event.seen).toEqual([]);
  });
});
