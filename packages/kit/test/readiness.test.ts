import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dropDatabase } from '../src/db.ts';
import { type Infra, openInfra } from '../src/infra.ts';
import { type App, createServer } from '../src/server.ts';
import { createTcpProxy, testConfig, testLogger } from '../src/testing/index.ts';

describe('readiness', () => {
  const config = testConfig('kit-ready');
  const real = new URL(config.DATABASE_URL);
  let proxy: Awaited<ReturnType<typeof createTcpProxy>>;
  let infra: Infra<{ service: string; database: { name: string; migrations: string } }, unknown>;
  let app: App;
  const throughProxy = new URL(config.DATABASE_URL);
  throughProxy.hostname = '127.0.0.1';
  beforeAll(async () => {
    proxy = await createTcpProxy(real.hostname, Number(real.port || 5432));
    throughProxy.port = String(proxy.port);
    infra = await openInfra(
      {
        service: 'kit',
        database: { name: 'unused', migrations: new URL('./fixtures/migrations', import.meta.url).pathname },
      },
      { ...config, DATABASE_URL: throughProxy.toString() },
      testLogger(),
    );
    ({ app } = await createServer({ name: 'kit', logger: testLogger(), readiness: infra.readiness }));
  });

  afterAll(async () => {
    await app.close();
    await infra.close();
    await proxy.close();
    await dropDatabase(config.DATABASE_URL, config.DATABASE_NAME);
  });

  it('fails /readyz while the database is unreachable and recovers when it returns', async () => {
    const before = await app.inject({ method: 'GET', url: '/readyz' });
    expect(before.statusCode).toBe(200);
    expect(before.json()).toEqual({ status: 'ready', checks: { database: 'ok' } });

    await proxy.cut();
    const during = await app.inject({ method: 'GET', url: '/readyz' });
    expect(during.statusCode).toBe(503);
    expect(during.json().checks.database).toMatch(/^failing/);
    const alive = await app.inject({ method: 'GET', url: '/healthz' });
    expect(alive.statusCode).toBe(200);

    await proxy.restore();
    await vi.waitFor(
      async () => {
        const after = await app.inject({ method: 'GET', url: '/readyz' });
        expect(after.statusCode).toBe(200);
      },
      { timeout: 10_000, interval: 200 },
    );
  });
});
