import { canonicalId } from '@tiketi/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type App, createServer } from '../src/server.ts';
import { testLogger } from '../src/testing/index.ts';

describe('text and ids from outside', () => {
  let app: App;
  const handled: unknown[] = [];
  beforeAll(async () => {
    ({ app } = await createServer({ name: 'kit-text-test', logger: testLogger() }));
    app.post(
      '/notes/:slug',
      {
        schema: {
          params: z.object({ slug: z.string() }),
          querystring: z.object({ q: z.string().optional() }),
          body: z.looseObject({ title: z.string().optional() }),
        },
      },
      async (req) => {
        handled.push(req.body);
        return { ok: true };
      },
    );
    app.post(
      '/events/:id/holds',
      {
        schema: {
          params: z.object({ id: canonicalId() }),
          body: z.object({ seatIds: z.array(canonicalId()) }),
          response: { 200: z.object({ id: canonicalId(), seatIds: z.array(canonicalId()) }) },
        },
      },
      async (req) => ({ id: req.params.id, seatIds: req.body.seatIds }),
    );

    await app.ready();
  });
  afterAll(() => app.close());

  const post = (url: string, payload: string | object | Buffer) =>
    app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload });

  it.each([
    ['a NUL in the body', '/notes/a', JSON.stringify({ title: 'Proof\u0000Night' }), 'body.title'],
    ['a lone surrogate in the body', '/notes/a', '{"title":"x\\ud800"}', 'body.title'],
    ['a lone low surrogate deep in the body', '/notes/a', '{"a":[{"b":"\\udc00"}]}', 'body.a.0.b'],
    ['a NUL in a key of the body', '/notes/a', '{"a\\u0000":1}', 'body'],
    ['a NUL in the query', '/notes/a?q=%00', '{}', 'querystring.q'],
    ['a NUL in a path parameter', '/notes/a%00b', '{}', 'params.slug'],
    [
      'bytes that are not UTF-8 in the body',
      '/notes/a',
      Buffer.from([...Buffer.from('{"title":"Bad'), 0xff, 0xc3, 0x28, ...Buffer.from('Name"}')]),
      'body',
    ],
    [
      'a truncated sequence at the end of the body',
      '/notes/a',
      Buffer.from([...Buffer.from('{"title":"x'), 0xe2, 0x82]),
      'body',
    ],
    [
      'a percent-encoded sequence that is not UTF-8 in the query',
      '/notes/a?q=%F0%28%8C%BC',
      '{}',
      'querystring.q',
    ],
    ['a percent-encoded sequence that is not UTF-8 in a query key', '/notes/a?%FFq=1', '{}', 'querystring'],
  ])(
    'refuses %s with 400 INVALID_TEXT naming the field, before the handler runs',
    async (_, url, payload, field) => {
      const before = handled.length;
      const res = await post(url, payload);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 400, code: 'INVALID_TEXT' });
      expect(res.json().errors[0].field).toBe(field);
      expect(handled.length).toBe(before);
    },
  );

  it('lets emoji, Hangul and other well-formed text through', async () => {
    const title = '👩‍👩‍👧‍👦🎫 콘서트 \u202Eevil Z̤̺̦a̵l͓g̶o';
    const res = await post(`/notes/${encodeURIComponent('콘서트')}?q=${encodeURIComponent(title)}`, {
      title,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(handled.at(-1)).toEqual({ title });
    // A percent sign that escapes nothing is only text, and a plus a space.
    expect((await post('/notes/a?q=50%25+off%', '{}')).statusCode).toBe(200);
  });

  it('hands every id to the handler in lower case, whatever the caller’s spelling', async () => {
    const id = '0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B';
    const seat = 'F5B3C2A1-0D9E-4F8A-B7C6-D5E4F3A2B1C0';
    const res = await post(`/events/${id}/holds`, { seatIds: [seat, seat.toLowerCase()] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ id: id.toLowerCase(), seatIds: [seat.toLowerCase(), seat.toLowerCase()] });
  });

  it('still refuses what is not a UUID in any case', async () => {
    const res = await post('/events/NOT-A-UUID/holds', { seatIds: [] });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('params.id');
  });
});
