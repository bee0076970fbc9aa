import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { type App, createServer, encodedBody, sendEncoded } from '@tiketi/kit';
import { caseSpellings, createTestTokens, testLogger } from '@tiketi/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { responseCache, sharedMaxAge } from '../src/response-cache.ts';

describe('shared copies of public answers', () => {
  let upstream: App;
  let gateway: App;
  let fan: string;
  let admin: string;
  const reached = new Map<string, number>();
  // Requests that reached the upstream with an If-None-Match.
  const conditional = new Map<string, number>();
  beforeAll(async () => {
    const tokens = await createTestTokens();
    // A real upstream that counts how often each path reached it and says how each answer may be kept.
    ({ app: upstream } = await createServer({ name: 'event', logger: testLogger() }));
    // Answers as a service using the kit does: the coding its Accept-Encoding picks, with an ETag.
    upstream.get('/api/seats/*', async (req, reply) => {
      const n = (reached.get(req.url) ?? 0) + 1;
      reached.set(req.url, n);
      if (req.headers['if-none-match']) conditional.set(req.url, (conditional.get(req.url) ?? 0) + 1);
      const body = encodedBody(Buffer.from(JSON.stringify({ url: req.url, padding: 'seat '.repeat(200) })));
      const cacheControl = req.url.endsWith('/lapsing')
        ? 'public, max-age=1'
        : req.url.endsWith('/private')
          ? 'private, max-age=60'
          : 'public, max-age=60';
      return sendEncoded(req, reply, body, { cacheControl });
    });
    upstream.get('/api/events/*', async (req, reply) => {
      const n = (reached.get(req.url) ?? 0) + 1;
      reached.set(req.url, n);
      const path = req.url.split('?')[0] ?? '';
      if (path.endsWith('/public')) reply.header('cache-control', 'public, max-age=1');
      if (path.endsWith('/private')) reply.header('cache-control', 'private, max-age=60');
      if (path.endsWith('/big')) {
        reply.header('cache-control', 'public, max-age=60');
        return { n, padding: 'x'.repeat(5000) };
      }
      if (path.endsWith('/missing')) {
        reply.header('cache-control', 'public, max-age=60');
        return reply.code(404).send({ n });
      }
      return { n, url: req.url };
    });
    await upstream.listen({ port: 0, host: '127.0.0.1' });
    gateway = await buildApp({
      logger: testLogger(),
      jwks: tokens.jwks,
      upstreams: {
        event: `http://127.0.0.1:${(upstream.server.address() as AddressInfo).port}`,
        reservation: `http://127.0.0.1:${(upstream.server.address() as AddressInfo).port}`,
      },
      responseCache: { maxEntries: 100, maxBytes: 1_000_000, maxBodyBytes: 4096 },
    });
    fan = await tokens.sign({ id: randomUUID() });
    admin = await tokens.sign({ id: randomUUID(), role: 'admin' });
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  const get = (url: string, token?: string) =>
    gateway.inject({ url, headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('serves a public answer from its copy for the max-age, to fans signed in or not, then asks again', async () => {
    const url = `/api/events/${randomUUID()}/public?page=1`;
    const first = await get(url);
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-cache']).toBeUndefined();
    const again = await get(url, fan);
    expect(again.statusCode).toBe(200);
    expect(again.headers['x-cache']).toBe('HIT');
    expect(again.headers['content-type']).toMatch(/application\/json/);
    expect(again.headers['cache-control']).toBe('public, max-age=1');
    expect(again.headers.age).toBe('0');
    expect(again.headers['x-request-id']).toBeTruthy();
    expect(again.json()).toEqual(first.json());
    expect(reached.get(url)).toBe(1);
    // Another query string is another answer.
    expect((await get(url.replace('page=1', 'page=2'))).headers['x-cache']).toBeUndefined();

    await new Promise((resolve) => setTimeout(resolve, 1100));
    const expired = await get(url);
    expect(expired.headers['x-cache']).toBeUndefined();
    expect(expired.json()).toMatchObject({ n: 2 });
  });

  it('never serves an admin a copy, nor keeps what an admin was answered', async () => {
    const url = `/api/events/${randomUUID()}/public`;
    await get(url, admin);
    await get(url, admin);
    expect(reached.get(url)).toBe(2);
    const anonymous = await get(url);
    expect(anonymous.headers['x-cache']).toBeUndefined();
    expect(reached.get(url)).toBe(3);
  });

  it('keeps nothing the upstream did not mark public, no error and no body over the size bound', async () => {
    for (const kind of ['private', 'unmarked', 'missing', 'big']) {
      const url = `/api/events/${randomUUID()}/${kind}`;
      const first = await get(url);
      const second = await get(url);
      expect(second.headers['x-cache'], kind).toBeUndefined();
      expect(second.statusCode).toBe(first.statusCode);
      expect(reached.get(url), kind).toBe(2);
    }
    // A body passed through unkept still arrives whole.
    const big = await get(`/api/events/${randomUUID()}/big`);
    expect((big.json() as { padding: string }).padding).toHaveLength(5000);
  });

  it('keeps one copy for every letter-case spelling of the ids in the address', async () => {
    const id = randomUUID();
    const spellings = caseSpellings(id, 4);
    const answers = [];
    for (const spelling of spellings)
      answers.push(await get(`/api/events/${spelling}/public?artistId=${spelling}`));
    expect(answers.map((a) => a.headers['x-cache'])).toEqual([undefined, 'HIT', 'HIT', 'HIT']);
    expect([...reached.keys()].filter((url) => url.toLowerCase().includes(id))).toHaveLength(1);
  });

  it('keeps a copy per content coding and never serves br or gzip to a caller that did not ask for it', async () => {
    const url = `/api/seats/event/${randomUUID()}/availability`;
    const ask = (acceptEncoding?: string, etag?: string) =>
      gateway.inject({
        url,
        headers: {
          ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}),
          ...(etag ? { 'if-none-match': etag } : {}),
        },
      });
    const decoded = (res: Awaited<ReturnType<typeof ask>>) => {
      const coding = res.headers['content-encoding'];
      const raw = res.rawPayload;
      return JSON.parse(
        (coding === 'br' ? brotliDecompressSync(raw) : coding === 'gzip' ? gunzipSync(raw) : raw).toString(),
      ) as { url: string };
    };

    const br = await ask('gzip, deflate, br');
    expect(br.headers['content-encoding']).toBe('br');
    expect((await ask('gzip, deflate, br')).headers['x-cache']).toBe('HIT');
    // The br copy is there; these callers must still get what they asked for, each kept in turn.
    for (const [accept, coding] of [
      [undefined, undefined],
      ['identity', undefined],
      ['gzip', 'gzip'],
      ['br;q=0, gzip;q=0.5', 'gzip'],
    ] as const) {
      const res = await ask(accept);
      expect(res.headers['content-encoding'], String(accept)).toBe(coding);
      expect(decoded(res).url).toBe(url);
    }
    const hit = await ask();
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers['content-encoding']).toBeUndefined();
    expect(decoded(hit).url).toBe(url);
    expect((await ask('gzip')).headers['content-encoding']).toBe('gzip');
    // identity, gzip and br: three answers from upstream, everything else from the copies.
    expect(reached.get(url)).toBe(3);

    // A caller holding the copy's version gets 304 from the copy, with no body.
    const etag = br.headers.etag as string;
    const unchanged = await ask('br', etag);
    expect(unchanged.statusCode).toBe(304);
    expect(unchanged.headers['x-cache']).toBe('HIT');
    expect(unchanged.headers['content-encoding']).toBeUndefined();
    expect(unchanged.rawPayload).toHaveLength(0);
    expect(reached.get(url)).toBe(3);
  });

  it('refills its copy when every caller revalidates, answering them 304 itself', async () => {
    // Fans polling with the ETag they hold: once the copy lapsed, the next one must not pass each
    // revalidation on to the service (whose 304 has no body to keep), but fetch the answer once, keep it,
    // and answer the others from it.
    const url = `/api/seats/event/${randomUUID()}/lapsing`;
    const first = await get(url);
    const etag = first.headers.etag as string;
    expect(etag).toBeTruthy();
    const revalidate = () => gateway.inject({ url, headers: { 'if-none-match': etag } });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await revalidate());
    expect(answers.map((a) => a.statusCode)).toEqual([304, 304, 304, 304, 304]);
    expect(answers.map((a) => a.rawPayload.length)).toEqual([0, 0, 0, 0, 0]);
    expect(answers.slice(1).map((a) => a.headers['x-cache'])).toEqual(['HIT', 'HIT', 'HIT', 'HIT']);
    expect(answers[0]?.headers.etag).toBe(etag);
    expect(reached.get(url)).toBe(2);
    expect(conditional.get(url)).toBeUndefined();
    // A caller holding an older version gets the body, from the copy.
    const stale = await gateway.inject({ url, headers: { 'if-none-match': '"old"' } });
    expect(stale.statusCode).toBe(200);
    expect(stale.headers['x-cache']).toBe('HIT');
    expect(stale.json()).toMatchObject({ url });
  });

  it('passes revalidations of what it may not keep on to the service, once it has seen that', async () => {
    const url = `/api/seats/event/${randomUUID()}/private`;
    const first = await get(url);
    const revalidate = () =>
      gateway.inject({ url, headers: { 'if-none-match': first.headers.etag as string } });
    // The first is asked whole, in case it could be kept; it cannot, so the next ones go on as they are.
    for (let i = 0; i < 3; i++) {
      const unchanged = await revalidate();
      expect(unchanged.statusCode).toBe(304);
      expect(unchanged.headers['x-cache']).toBeUndefined();
      expect(unchanged.rawPayload).toHaveLength(0);
    }
    expect(reached.get(url)).toBe(4);
    expect(conditional.get(url)).toBe(2);
    // Another version than the caller's still reaches it whole.
    const changed = await gateway.inject({ url, headers: { 'if-none-match': '"old"' } });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ url });
  });

  it('reads Cache-Control as a shared cache must', () => {
    expect(sharedMaxAge('public, max-age=2')).toBe(2);
    expect(sharedMaxAge('public, max-age=60, s-maxage=5')).toBe(5);
    expect(sharedMaxAge('max-age=60')).toBeUndefined();
    expect(sharedMaxAge('public, no-store, max-age=60')).toBeUndefined();
    expect(sharedMaxAge('public, no-cache, max-age=60')).toBeUndefined();
    expect(sharedMaxAge('public, max-age=0')).toBeUndefined();
    expect(sharedMaxAge('public, max-age=abc')).toBeUndefined();
    expect(sharedMaxAge(undefined)).toBeUndefined();
  });

  it('keeps no copy longer than a minute, whatever max-age the upstream gave', () => {
    const storedAt = 1_000_000;
    let clock = storedAt;
    const cache = responseCache({ maxEntries: 10, maxBytes: 100, maxBodyBytes: 100, now: () => clock });
    cache.set(
      '/media/poster.webp',
      'identity',
      { status: 200, headers: {}, body: Buffer.from('img') },
      31_536_000,
    );
    clock = storedAt + 59_000;
    expect(cache.get('/media/poster.webp', 'identity')).toBeDefined();
    clock = storedAt + 60_001;
    expect(cache.get('/media/poster.webp', 'identity')).toBeUndefined();
  });

  it('drops the least recently used copies first when over its entry or byte budget', () => {
    const cache = responseCache({ maxEntries: 2, maxBytes: 10, maxBodyBytes: 8 });
    const entry = (text: string) => ({ status: 200, headers: {}, body: Buffer.from(text) });
    cache.set('a', 'identity', entry('aaa'), 60);
    cache.set('b', 'identity', entry('bbb'), 60);
    expect(cache.get('a', 'identity')).toBeDefined(); // a is now the most recently used
    cache.set('c', 'identity', entry('ccc'), 60);
    expect(cache.get('b', 'identity')).toBeUndefined();
    expect(cache.get('a', 'identity')).toBeDefined();
    cache.set('d', 'identity', entry('dddddddd'), 60); // 3 + 8 bytes > 10: the older one goes
    expect(cache.get('c', 'identity')).toBeUndefined();
    expect(cache.get('a', 'identity')).toBeUndefined();
    expect(cache.bytes).toBe(8);
    cache.set('e', 'identity', entry('too long body'), 60);
    expect(cache.get('e', 'identity')).toBeUndefined();
  });
});
