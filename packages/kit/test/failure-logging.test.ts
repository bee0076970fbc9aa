import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpProblem, problems } from '../src/errors.ts';
import type { Metrics } from '../src/metrics.ts';
import { type App, createServer } from '../src/server.ts';
import { capturingLogger } from '../src/testing/index.ts';

/** The lines an operator finds when searching the logs for one request id. */
function linesOf(lines: Record<string, unknown>[], requestId: string) {
  return lines.filter((l) => l.requestId === requestId || l.reqId === requestId);
}

describe('one log line per failed request, with its request id', () => {
  const { logger, lines } = capturingLogger('failure-logging');
  let app: App;
  let metrics: Metrics;

  beforeAll(async () => {
    ({ app, metrics } = await createServer({ name: 'failure-logging', logger }));
    app.get('/boom', async () => {
      throw new Error('connection reset by the database');
    });
    app.get('/upstream', async () => {
      throw problems.unavailable('The event service is not answering.', new Error('ECONNREFUSED'));
    });
    app.get(
      '/shape',
      { schema: { response: { 200: z.object({ count: z.number() }) } } },
      async () => ({ count: 'many' }) as unknown as { count: number },
    );
    app.get('/busy', async () => {
      throw new HttpProblem(503, 'PAYMENT_BUSY', 'This payment is being worked on; try again shortly.', {
        headers: { 'retry-after': '5' },
        routine: true,
      });
    });
    app.get('/taken', async () => {
      throw problems.conflict('SEAT_TAKEN', 'Seat A-1 is taken.');
    });
    await app.ready();
  });
  afterAll(() => app.close());

  async function failOnce(url: string) {
    const res = await app.inject({ method: 'GET', url });
    const id = res.headers['x-request-id'] as string;
    expect(id).toBeTruthy();
    return { res, logged: linesOf(lines, id) };
  }

  it('logs an unexpected error once, at error level, with its cause and the request id', async () => {
    const { res, logged } = await failOnce('/boom');
    expect(res.statusCode).toBe(500);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'error', status: 500, code: 'INTERNAL', route: '/boom' });
    expect(logged[0]).toMatchObject({ err: { message: 'connection reset by the database' } });
  });

  it('logs a 503 problem thrown by a route once, with what the upstream said', async () => {
    const { res, logged } = await failOnce('/upstream');
    expect(res.statusCode).toBe(503);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'error', status: 503, code: 'UPSTREAM_UNAVAILABLE' });
    expect(logged[0]).toMatchObject({ err: { message: 'ECONNREFUSED' } });
  });

  it('logs a routine 503 (the caller is asked to retry) as a warning, not as a failure', async () => {
    const { res, logged } = await failOnce('/busy');
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toMatchObject({ status: 503, code: 'PAYMENT_BUSY' });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'warn', status: 503, code: 'PAYMENT_BUSY' });
    expect(logged[0]).not.toHaveProperty('err');
    await failOnce('/upstream');
    const counted = await metrics.registry.metrics();
    expect(counted).not.toMatch(/http_request_errors_total\{[^}]*route="\/busy"/);
    expect(counted).toMatch(/http_request_errors_total\{[^}]*route="\/upstream"/);
  });

  it('logs an answer that broke its own schema once', async () => {
    const { res, logged } = await failOnce('/shape');
    expect(res.statusCode).toBe(500);
    expect(res.json()).not.toHaveProperty('count');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'error', status: 500, code: 'INTERNAL' });
  });

  it('logs a refusal (4xx) once at info level, with no error attached', async () => {
    const { res, logged } = await failOnce('/taken');
    expect(res.statusCode).toBe(409);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'info', status: 409 });
    expect(logged[0]).not.toHaveProperty('err');
  });
});

describe('the request line behind the gateway', () => {
  it('logs answered requests at debug (hidden at info) but failures still at error', async () => {
    const { logger, lines } = capturingLogger('behind-gateway');
    const { app } = await createServer({
      name: 'behind-gateway',
      logger,
      http: { requestLogLevel: 'debug' },
    });
    app.get('/fine', async () => ({ ok: true }));
    app.get('/boom', async () => {
      throw new Error('disk full');
    });
    await app.ready();
    try {
      const fine = await app.inject({ method: 'GET', url: '/fine' });
      const boom = await app.inject({ method: 'GET', url: '/boom' });
      expect(linesOf(lines, fine.headers['x-request-id'] as string)).toEqual([]);
      expect(linesOf(lines, boom.headers['x-request-id'] as string)).toMatchObject([
        { level: 'error', status: 500, route: '/boom' },
      ]);
    } finally {
      await app.close();
    }
  });

  it('logs each answered request once at info where asked (the gateway)', async () => {
    const { logger, lines } = capturingLogger('edge');
    const { app } = await createServer({ name: 'edge', logger, http: { requestLogLevel: 'info' } });
    app.get('/fine', async () => ({ ok: true }));
    await app.ready();
    try {
      const fine = await app.inject({ method: 'GET', url: '/fine' });
      expect(linesOf(lines, fine.headers['x-request-id'] as string)).toMatchObject([
        { level: 'info', status: 200, route: '/fine' },
      ]);
    } finally {
      await app.close();
    }
  });
});
