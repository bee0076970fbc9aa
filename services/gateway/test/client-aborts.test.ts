import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { type App, createServer } from '@tiketi/kit';
import { capturingLogger, createTestTokens, eventually, slowClient, testLogger } from '@tiketi/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';

/** The levels of lines that page someone. */
const ALARMING = ['error', 'fatal'];

describe('gateway when a client goes away before its answer', () => {
  const { logger, lines } = capturingLogger('gateway');
  let upstream: App;
  let gateway: App;
  let port: number;
  let base: string;
  let answered: () => void;
  beforeAll(async () => {
    const tokens = await createTestTokens();
    ({ app: upstream } = await createServer({ name: 'event', logger: testLogger() }));
    // Answers only when the test says so: the client is gone by then.
    upstream.get('/api/events', () => new Promise((resolve) => (answered = () => resolve({ items: [] }))));
    upstream.post('/api/payments/toss/webhook', async () => ({ ok: true }));
    await upstream.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(upstream.server.address() as AddressInfo).port}`;
    gateway = await buildApp({ logger, jwks: tokens.jwks, upstreams: { event: url, payment: url } });
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    port = (gateway.server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  const requestLines = (url: string) => lines.filter((l) => l.msg === 'request' && l.url === url);

  it('logs a request whose client closed the socket while the service worked as 499, not as an error', async () => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('GET /api/events?aborted=1 HTTP/1.1\r\nhost: tiketi.test\r\n\r\n');
    await eventually(async () => expect(upstreamWaiting()).toBe(true));
    socket.destroy();
    await eventually(async () => expect(requestLines('/api/events?aborted=1')).toHaveLength(1));
    answered();
    const [line] = requestLines('/api/events?aborted=1');
    expect(line).toMatchObject({ status: 499, aborted: 'client closed the connection' });
    expect(line?.level).toBe('info');
    // The upstream's late answer adds nothing: one line per request, and no error anywhere.
    const after = await fetch(`${base}/api/payments/toss/webhook`, { method: 'POST', body: '{}' });
    expect(after.status).toBe(200);
    expect(requestLines('/api/events?aborted=1')).toHaveLength(1);
    expect(lines.filter((l) => ALARMING.includes(String(l.level)))).toEqual([]);
  });

  it('logs a request whose client left halfway through its body as 499, not as an error', async () => {
    const client = slowClient(`${base}/api/payments/toss/webhook?half=1`, { intervalMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    client.close();
    await eventually(async () => expect(requestLines('/api/payments/toss/webhook?half=1')).toHaveLength(1));
    const [line] = requestLines('/api/payments/toss/webhook?half=1');
    expect(line).toMatchObject({ status: 499 });
    expect(line?.level).toBe('info');
    expect(lines.filter((l) => ALARMING.includes(String(l.level)))).toEqual([]);
  });

  /** True once the upstream holds the proxied request (its answer waits for `answered`). */
  function upstreamWaiting(): boolean {
    return typeof answered === 'function';
  }
});
