import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseConfigShape, ConfigError, internalTokenShape, loadConfig } from '../src/config.ts';
import type { Metrics } from '../src/metrics.ts';
import { type App, createServer, opsListenerOf, serverSettings } from '../src/server.ts';
import { slowClient, testLogger } from '../src/testing/index.ts';

describe('service factory at the edge: timeouts, trusted proxies, operations endpoints', () => {
  const config = loadConfig(
    { ...baseConfigShape, ...internalTokenShape },
    {
      REQUEST_TIMEOUT_MS: '1500',
      HEADERS_TIMEOUT_MS: '1000',
      TRUSTED_PROXIES: '10.1.0.0/16, 127.0.0.1',
      INTERNAL_TOKEN: 'edge-test-internal-token-of-32-characters',
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

  it('cuts off a client whose body has not arrived within REQUEST_TIMEOUT_MS with 408', async () => {
    // Its body would take over three minutes to arrive: only the request timeout ends it, with 408.
    const { status } = await slowClient(`${base}/things`, { intervalMs: 200 }).ended;
    expect(status).toBe(408);
  });

  it('cuts off a client whose headers have not arrived within HEADERS_TIMEOUT_MS', async () => {
    const client = slowClient(`${base}/things`, { intervalMs: 200, stallHeaders: true });
    const { status } = await client.ended;
    expect(status).toBe(408);
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

  it('shows metrics and the OpenAPI document only to a holder of the internal token', async () => {
    for (const url of ['/metrics', '/docs/json']) {
      expect((await app.inject({ url })).statusCode).toBe(404);
      expect((await app.inject({ url, headers: { 'x-internal-token': 'wrong' } })).statusCode).toBe(404);
      const held = await app.inject({
        url,
        headers: { 'x-internal-token': 'edge-test-internal-token-of-32-characters' },
      });
      expect(held.statusCode).toBe(200);
      const scraped = await app.inject({
        url,
        headers: { authorization: 'Bearer edge-test-internal-token-of-32-characters' },
      });
      expect(scraped.statusCode).toBe(200);
    }
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
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
  });
});
