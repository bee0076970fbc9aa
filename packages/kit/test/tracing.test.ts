import type { AddressInfo } from 'node:net';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { publishInTransaction } from '../src/bus.ts';
import { createHttpClient } from '../src/http-client.ts';
import { type App, createServer } from '../src/server.ts';
import { openTestInfra, testConfig, testLogger } from '../src/testing/index.ts';
import { addSpanProcessor } from '../src/tracing.ts';

type Spec = { service: 'tracer'; database: { name: string; migrations: string }; bus: true };

describe('trace context across HTTP and RabbitMQ', () => {
  const exporter = new InMemorySpanExporter();
  addSpanProcessor(new SimpleSpanProcessor({ exporter }));
  const config = testConfig('kit-trace');
  let infra: Awaited<ReturnType<typeof openTestInfra<Spec, unknown>>>;
  let downstream: App;
  let client: ReturnType<typeof createHttpClient>;
  let upstream: App;
  const consumed: string[] = [];
  beforeAll(async () => {
    infra = await openTestInfra<Spec, unknown>(
      {
        service: 'tracer',
        database: { name: 'unused', migrations: new URL('./fixtures/migrations', import.meta.url).pathname },
        bus: true,
      },
      config,
    );
    await infra.bus.subscribe({
      name: 'trace-consumer',
      events: ['user.registered'],
      handler: async (event) => {
        consumed.push(event.id);
      },
    });
    await infra.start();

    ({ app: downstream } = await createServer({ name: 'downstream', logger: testLogger() }));
    downstream.get('/work', async () => {
      await infra.db.transaction().execute((trx) =>
        publishInTransaction(trx, 'user.registered', {
          userId: '0b9f4a58-4c4b-4d7e-9f3e-6a1b2c3d4e5f',
          email: 'trace@example.com',
          name: 'Trace',
          provider: 'password',
        }),
      );
      return { ok: true };
    });
    await downstream.listen({ port: 0, host: '127.0.0.1' });
    client = createHttpClient({
      baseUrl: `http://127.0.0.1:${(downstream.server.address() as AddressInfo).port}`,
      name: 'downstream service',
    });
    ({ app: upstream } = await createServer({ name: 'upstream', logger: testLogger() }));
    upstream.get('/start', async () => (await client.get('/work')).body);
  });

  afterAll(async () => {
    await upstream.close();
    await downstream.close();
    await infra.cleanup();
  });

  it('links the incoming request, the outgoing call, the publish and the consume in one trace', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await upstream.inject({
      method: 'GET',
      url: '/start',
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(res.statusCode).toBe(200);
    await vi.waitFor(() => expect(consumed).toHaveLength(1), { timeout: 10_000 });
    await vi.waitFor(() => {
      const names = exporter.getFinishedSpans().map((s) => s.name);
      expect(names).toEqual(
        expect.arrayContaining([
          'GET /start',
          'GET downstream service',
          'GET /work',
          'user.registered publish',
          'user.registered process',
        ]),
      );
    });
    const spans = exporter.getFinishedSpans();
    const byName = (name: string) => spans.find((s) => s.name === name)!;
    for (const name of ['GET /start', 'GET downstream service', 'GET /work', 'user.registered process']) {
      expect(byName(name).spanContext().traceId).toBe(traceId);
    }
    const parentOf = (name: string) => byName(name).parentSpanContext?.spanId;
    expect(parentOf('GET /start')).toBe('00f067aa0ba902b7');
    expect(parentOf('GET downstream service')).toBe(byName('GET /start').spanContext().spanId);
    expect(parentOf('GET /work')).toBe(byName('GET downstream service').spanContext().spanId);
    expect(parentOf('user.registered publish')).toBe(byName('GET /work').spanContext().spanId);
    expect(parentOf('user.registered process')).toBe(byName('user.registered publish').spanContext().spanId);
    expect(byName('GET /work').attributes['tiketi.service']).toBe('downstream');
  });
});
