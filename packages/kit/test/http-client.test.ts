import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newContext, runInContext } from '../src/context.ts';
import { HttpProblem } from '../src/errors.ts';
import { createHttpClient } from '../src/http-client.ts';

describe('service-to-service HTTP client', () => {
  let server: Server;
  let baseUrl = '';
  const hits: Record<string, number> = {};
  let lastHeaders: IncomingMessage['headers'] = {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '';
      hits[path] = (hits[path] ?? 0) + 1;
      lastHeaders = req.headers;
      if (path === '/flaky' && (hits[path] ?? 0) < 3) {
        res.writeHead(503).end();
      } else if (path === '/slow') {
        setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'), 500);
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: path }));
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('retries an idempotent call through transient 503s', async () => {
    const client = createHttpClient({ baseUrl, name: 'flaky service', retries: 2 });
    const res = await client.get<{ ok: string }>('/flaky');
    expect(res.status).toBe(200);
    expect(hits['/flaky']).toBe(3);
  });

  it('does not retry a POST', async () => {
    hits['/flaky'] = 0;
    const client = createHttpClient({ baseUrl, name: 'flaky service', retries: 2 });
    const res = await client.post('/flaky', { a: 1 });
    expect(res.status).toBe(503);
    expect(hits['/flaky']).toBe(1);
  });

  it('gives up after its timeout with a 503 problem naming the upstream', async () => {
    const client = createHttpClient({ baseUrl, name: 'slow service', timeoutMs: 100, retries: 1 });
    const call = client.get('/slow');
    await expect(call).rejects.toBeInstanceOf(HttpProblem);
    await expect(client.get('/slow')).rejects.toMatchObject({ status: 503, message: /slow service/ });
  });

  it('passes the request id and trace context on', async () => {
    const client = createHttpClient({ baseUrl, name: 'svc' });
    const ctx = newContext('req-42', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    await runInContext(ctx, () => client.get('/echo'));
    expect(lastHeaders['x-request-id']).toBe('req-42');
    expect(lastHeaders.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(lastHeaders.traceparent).not.toContain('b7ad6b7169203331');
  });
});
