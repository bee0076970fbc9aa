import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baseConfigShape,
  ConfigError,
  internalTokenShape,
  loadConfig,
  opsTokenShape,
} from '../src/config.ts';
import type { Metrics } from '../src/metrics.ts';
import { type App, createServer, opsListenerOf, serverSettings } from '../src/server.ts';
import { slowClient, testLogger } from '../src/testing/index.ts';

describe('service factory at the edge: timeouts, trusted proxies, operations endpoints', () => {
  const config = loadConfig(
    { ...baseConfigShape, ...internalTokenShape, ...opsTokenShape },
    {
      REQUEST_TIMEOUT_MS: '1500',
      HEADERS_TIMEOUT_MS: '1000',
      TRUSTED_PROXIES: '10.1.0.0/16, 127.0.0.1',
      INTERNAL_TOKEN: 'edge-test-internal-token-of-32-characters',
      OPS_TOKEN: 'edge-test-ops-token-of-32-characters-long',
      TIKETI_ENV: 'development',
    },
  );
  let app: App;
  let base: string;
  let separate: { app: App; metrics: Metrics };
  beforeAll(async () => {
    ({ app } = await createServer({ name: 'edge', logger: testLogger(), ...serverSettings(config) }));
    app.post('/things', async (req) => ({ ip: req.ip }));
    app.get('/ip', async (req) => ({ ip: req.ip }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    separate = await createServer({ name: 'edge-ops', logger: testLogger(), ops: { port: 0 } });
    separate.app.get('/things', async () => ({ ok: true }));
    await separate.app.ready();
  });
  afterAll(async () => {
    await app.close();
    await separate.app.close();
  });

  /** The problem+json of an answer written straight to the socket, or what was there instead. */
  const problemOf = (answer: string) => {
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    const type = /^content-type: *(.*)$/im.exec(head)?.[1]?.trim();
    const length = Number(/^content-length: *(\d+)$/im.exec(head)?.[1]);
    return { type, length, body: type === 'application/problem+json' ? JSON.parse(body) : body };
  };

  it('cuts off a client whose body has not arrived within REQUEST_TIMEOUT_MS with 408', async () => {
    // Its body would take over three minutes to arrive: only the request timeout ends it, with 408.
    const { status, answer } = await slowClient(`${base}/things`, { intervalMs: 200 }).ended;
    expect(status).toBe(408);
    expect(problemOf(answer)).toMatchObject({
      type: 'application/problem+json',
      body: { status: 408, code: 'REQUEST_TIMEOUT', detail: expect.stringMatching(/1\.5 s/) },
    });
  });

  it('cuts off a client whose headers have not arrived within HEADERS_TIMEOUT_MS', async () => {
    const client = slowClient(`${base}/things`, { intervalMs: 200, stallHeaders: true });
    const { status, answer } = await client.ended;
    expect(status).toBe(408);
    expect(problemOf(answer)).toMatchObject({ body: { status: 408, code: 'REQUEST_TIMEOUT' } });
  });

  /** Writes `request` on a fresh connection and reads until the server closes it. */
  const raw = (request: string, port = Number(new URL(base).port)) =>
    new Promise<string>((resolve, reject) => {
      let answer = '';
      const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
      socket.on('data', (chunk) => {
        answer += chunk.toString('utf8');
      });
      socket.on('close', () => resolve(answer));
      socket.on('error', reject);
    });

  it('answers a request that is not HTTP, or whose headers are too large, with problem+json', async () => {
    const garbled = problemOf(await raw('GET /things HTTP/1.1\r\nHost x\r\n\r\n'));
    expect(garbled).toMatchObject({
      type: 'application/problem+json',
      body: { status: 400, code: 'MALFORMED_REQUEST', title: 'Bad Request' },
    });
    const huge = problemOf(
      await raw(`GET /things HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
    );
    expect(huge).toMatchObject({
      type: 'application/problem+json',
      body: { status: 431, code: 'HEADERS_TOO_LARGE' },
    });
    expect(Buffer.byteLength(JSON.stringify(huge.body))).toBe(huge.length);
  });

  it('answers an HTTP/1.1 request without a Host header with a 400 problem', async () => {
    const answer = await raw('GET /ip HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(problemOf(answer)).toMatchObject({
      type: 'application/problem+json',
      body: { status: 400, code: 'MALFORMED_REQUEST', detail: expect.stringMatching(/Host/) },
    });
    // HTTP/1.0 has no Host header to require.
    expect(await raw('GET /ip HTTP/1.0\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('answers an Expect it cannot meet with a 417 problem', async () => {
    // Node answers it before any route runs; 100-continue is the one expectation it meets.
    const answer = await raw(
      'POST /things HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 417 /);
    expect(problemOf(answer)).toMatchObject({
      type: 'application/problem+json',
      body: {
        status: 417,
        code: 'EXPECTATION_FAILED',
        title: 'Expectation Failed',
        detail: expect.stringMatching(/100-continue/),
        instance: '/things',
      },
    });
    const continued = await raw(
      'POST /things HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: 100-continue\r\n' +
        'Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
    );
    expect(continued).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  });

  it('answers a CONNECT, which it never serves, with a 405 problem rather than a silent close', async () => {
    const answer = await raw('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 405 /);
    expect(problemOf(answer)).toMatchObject({
      type: 'application/problem+json',
      body: { status: 405, code: 'METHOD_NOT_ALLOWED' },
    });
  });

  it('refuses a compressed request body with a 415 problem instead of reading it as plain', async () => {
    const answer = await raw(
      'POST /things HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Encoding: gzip\r\n' +
        'Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 415 /);
    expect(problemOf(answer)).toMatchObject({
      body: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', detail: expect.stringMatching(/gzip/) },
    });
    const plain = await raw(
      'POST /things HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Encoding: identity\r\n' +
        'Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
    );
    expect(plain).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('answers a request that arrives while it drains with a 503 problem', async () => {
    const { app: draining } = await createServer({ name: 'draining', logger: testLogger() });
    const released = Promise.withResolvers<void>();
    const entered = Promise.withResolvers<void>();
    // Runs after the kit's own preClose hook: the drain has begun.
    const drainBegun = Promise.withResolvers<void>();
    draining.addHook('preClose', async () => drainBegun.resolve());
    draining.get('/slow', async () => {
      entered.resolve();
      await released.promise;
      return { ok: true };
    });
    await draining.listen({ port: 0, host: '127.0.0.1' });
    let arrived = 0;
    const second = new Promise<void>((resolve) => {
      draining.server.on('request', () => {
        arrived += 1;
        if (arrived === 2) resolve();
      });
    });
    const socket = net.connect((draining.server.address() as AddressInfo).port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
    });
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await entered.promise;
    // The connection is busy, so the drain keeps it open: a request sent on it now still arrives.
    const closing = draining.close();
    await drainBegun.promise;
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await second;
    released.resolve();
    await closed;
    await closing;
    const answers = answer.split(/(?=HTTP\/1\.1 )/);
    expect(answers[0]).toMatch(/^HTTP\/1\.1 200 /);
    expect(answers[1]).toMatch(/^HTTP\/1\.1 503 /);
    expect(answers[1]).toMatch(/^retry-after: 1$/im);
    expect(problemOf(answers[1] ?? '')).toMatchObject({
      type: 'application/problem+json',
      body: { status: 503, code: 'SHUTTING_DOWN' },
    });
  });

  it('believes X-Forwarded-For only from a configured proxy', async () => {
    const from = (remoteAddress: string) =>
      app.inject({ url: '/ip', remoteAddress, headers: { 'x-forwarded-for': '198.51.100.7' } });
    expect((await from('10.1.2.3')).json()).toEqual({ ip: '198.51.100.7' });
    expect((await from('203.0.113.9')).json()).toEqual({ ip: '203.0.113.9' });
    expect((await from('10.2.0.1')).json()).toEqual({ ip: '10.2.0.1' });
  });

  it('refuses a TRUSTED_PROXIES entry that is not an address or CIDR, naming the variable', () => {
    expect(() => loadConfig(baseConfigShape, { TRUSTED_PROXIES: '10.0.0.0/8,everyone' })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig(baseConfigShape, { TRUSTED_PROXIES: 'everyone' })).toThrow(/TRUSTED_PROXIES/);
  });

  it('shows metrics and the OpenAPI document only to a holder of the operations token', async () => {
    for (const url of ['/metrics', '/docs/json']) {
      expect((await app.inject({ url })).statusCode).toBe(404);
      expect((await app.inject({ url, headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(404);
      // The internal token calls /internal/*; it opens no metrics.
      const internal = await app.inject({
        url,
        headers: { 'x-internal-token': 'edge-test-internal-token-of-32-characters' },
      });
      expect(internal.statusCode).toBe(404);
      const scraped = await app.inject({
        url,
        headers: { authorization: 'Bearer edge-test-ops-token-of-32-characters-long' },
      });
      expect(scraped.statusCode).toBe(200);
    }
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('hides metrics on the public port of a service that holds no internal token too', async () => {
    // The event, analytics and media services hold no INTERNAL_TOKEN; they must not serve metrics to anyone.
    const settings = serverSettings(
      loadConfig({ ...baseConfigShape, ...opsTokenShape }, { TIKETI_ENV: 'development' }),
    );
    const { app: open } = await createServer({
      name: 'no-internal-token',
      logger: testLogger(),
      ...settings,
    });
    try {
      for (const url of ['/metrics', '/docs/json']) expect((await open.inject({ url })).statusCode).toBe(404);
      const scraped = await open.inject({
        url: '/metrics',
        headers: { authorization: 'Bearer tiketi-local-ops-token' },
      });
      expect(scraped.statusCode).toBe(200);
    } finally {
      await open.close();
    }
    // A service whose configuration has no operations token, and no operations port, does not start.
    expect(() => serverSettings(loadConfig(baseConfigShape, { TIKETI_ENV: 'development' }))).toThrow(
      /OPS_TOKEN/,
    );
  });

  it('with an operations port, serves health, readiness, metrics and docs there only', async () => {
    const ops = opsListenerOf(separate.app);
    expect(ops?.port).toBe(0);
    for (const url of ['/healthz', '/readyz', '/metrics', '/docs/json']) {
      expect((await separate.app.inject({ url })).statusCode).toBe(404);
      expect((await ops?.app.inject({ url }))?.statusCode).toBe(200);
    }
    const docs = (await ops?.app.inject({ url: '/docs/json' }))?.json() as { paths: Record<string, unknown> };
    expect(Object.keys(docs.paths)).toContain('/things');
    const elsewhere = await ops?.app.inject({ url: '/things' });
    expect(elsewhere?.statusCode).toBe(404);
    expect(elsewhere?.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(elsewhere?.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
  });
});
