import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { problems } from '../src/errors.ts';
import { type App, createServer } from '../src/server.ts';
import { testLogger } from '../src/testing/index.ts';

describe('service factory', () => {
  let app: App;
  beforeAll(async () => {
    ({ app } = await createServer({ name: 'kit-test', logger: testLogger(), bodyLimit: 1024 }));
    const body = z.object({ name: z.string().min(1), seats: z.number().int().positive() });
    app.post(
      '/things',
      { schema: { body, response: { 201: z.object({ name: z.string() }) } } },
      async (req, reply) => {
        return reply.code(201).send({ name: req.body.name, secret: 'must not leak' } as { name: string });
      },
    );
    app.get('/boom', async () => {
      throw new Error('connection string postgres://admin:hunter2@db');
    });
    app.get('/taken', async () => {
      throw problems.conflict('SEAT_TAKEN', 'Seat A-1 is taken.', { seatIds: ['a'] });
    });
    app.get('/things/:id', { schema: { params: z.object({ id: z.uuid() }) } }, async (req) => ({
      id: req.params.id,
    }));

    await app.ready();
  });
  afterAll(() => app.close());

  it('answers missing and mistyped fields with a 400 problem listing each field', async () => {
    const res = await app.inject({ method: 'POST', url: '/things', payload: { seats: 'two' } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    const problem = res.json();
    expect(problem).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', title: 'Bad Request' });
    expect(problem.errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.name', 'body.seats']);
  });

  it('answers malformed JSON with a 400 problem', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": "x",',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ status: 400, code: 'MALFORMED_BODY' });
  });

  it('tells a caller whose JSON came as plain text to send it as JSON', async () => {
    // fetch() sends a string body as text/plain unless told otherwise: the JSON in it is never read as
    // JSON, and "expected object, received string" does not say what to change.
    const res = await app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      payload: '{"name":"x","seats":2}',
    });
    expect(res.statusCode).toBe(400);
    const problem = res.json();
    expect(problem).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(problem.detail).toMatch(/Content-Type: application\/json/);
    expect(problem.detail).toMatch(/text\/plain/);
    expect(problem.errors).toEqual([{ field: 'body', message: expect.any(String) }]);
  });

  it('answers an oversized body with 413', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/things',
      payload: { name: 'x'.repeat(5000), seats: 1 },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' });
  });

  it('answers an unsupported content type with 415 naming it', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'application/xml; charset=utf-8' },
      payload: '<a/>',
    });
    expect(res.statusCode).toBe(415);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json()).toMatchObject({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail: 'This endpoint does not read a request body sent as application/xml.',
    });
  });

  it('refuses a JSON body that would poison prototypes, naming the key', async () => {
    const send = (payload: string) =>
      app.inject({
        method: 'POST',
        url: '/things',
        headers: { 'content-type': 'application/json' },
        payload,
      });
    const proto = await send('{"name":"x","seats":1,"__proto__":{"admin":true}}');
    expect(proto.statusCode).toBe(400);
    expect(proto.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(proto.json()).toMatchObject({
      code: 'MALFORMED_BODY',
      detail: 'The request body may not use the key "__proto__".',
    });
    const nested = await send('{"name":"x","seats":1,"tags":[{"constructor":{"prototype":{"admin":true}}}]}');
    expect(nested.json()).toMatchObject({
      code: 'MALFORMED_BODY',
      detail: 'The request body may not use the key "constructor" holding "prototype".',
    });
    // A "constructor" that holds no prototype is an ordinary key.
    expect((await send('{"name":"x","seats":1,"constructor":{"a":1}}')).statusCode).toBe(201);
  });

  it('answers a bad path parameter with 400, not 500', async () => {
    const res = await app.inject({ method: 'GET', url: '/things/not-a-uuid' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('params.id');
  });

  it('answers a path that cannot be read, or one too long, with a problem like any other', async () => {
    const bad = await app.inject({ method: 'GET', url: '/things/%zz' });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(bad.json()).toMatchObject({ status: 400, code: 'BAD_PATH' });
    const long = await app.inject({ method: 'GET', url: `/things/${'a'.repeat(300)}` });
    expect(long.statusCode).toBe(414);
    expect(long.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(long.json()).toMatchObject({ status: 414, code: 'PATH_TOO_LONG' });
  });

  it('answers an unknown route with a 404 problem', async () => {
    const res = await app.inject({ method: 'GET', url: '/nowhere?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ status: 404, code: 'ROUTE_NOT_FOUND', instance: '/nowhere' });
  });

  it('answers an unexpected error with a bare 500 that leaks nothing', async () => {
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toMatch(/hunter2|postgres/);
    expect(res.json()).toMatchObject({ status: 500, code: 'INTERNAL' });
  });

  it('passes a domain problem through with its code and extra fields', async () => {
    const res = await app.inject({ method: 'GET', url: '/taken' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'SEAT_TAKEN', seatIds: ['a'] });
  });

  it('strips response fields the schema does not declare', async () => {
    const res = await app.inject({ method: 'POST', url: '/things', payload: { name: 'x', seats: 1 } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ name: 'x' });
  });

  it('echoes a given request id and makes one otherwise', async () => {
    const given = await app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'abc-123' },
    });
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await app.inject({ method: 'GET', url: '/healthz' });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves OpenAPI and RED metrics per route pattern', async () => {
    const docs = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(docs.json().paths['/things/{id}']).toBeDefined();
    await app.inject({ method: 'GET', url: '/things/0b9f4a58-4c4b-4d7e-9f3e-6a1b2c3d4e5f' });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/http_requests_total\{method="GET",route="\/things\/:id",status="200"/);
    expect(metrics.body).toMatch(/http_request_errors_total\{method="GET",route="\/boom",status="500"/);
    expect(metrics.body).toMatch(/http_request_duration_seconds_bucket/);
  });
});
