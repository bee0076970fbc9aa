import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import type { App } from '@tiketi/kit';
import { createTestTokens, testLogger } from '@tiketi/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { type EchoService, startEchoService } from './upstreams.ts';

/** Writes `head` on a fresh connection and reads until the gateway closes it (or `waitMs` passes). */
function exchange(port: number, head: string, waitMs = 3000) {
  return new Promise<{ text: string; closed: boolean }>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, waitMs);
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.on('error', () => undefined);
    socket.write(head);
  });
}

describe('gateway: headers about the client’s own connection', () => {
  let event: EchoService;
  let media: EchoService;
  let queue: EchoService;
  let gateway: App;
  let port: number;
  let tokens: Awaited<ReturnType<typeof createTestTokens>>;
  beforeAll(async () => {
    tokens = await createTestTokens();
    event = await startEchoService('event');
    media = await startEchoService('media');
    queue = await startEchoService('queue');
    gateway = await buildApp({
      logger: testLogger(),
      jwks: tokens.jwks,
      upstreams: { event: event.url, media: media.url, queue: queue.url },
      bodyLimitBytes: 1024,
      uploadBodyLimitBytes: 64 * 1024,
      rateLimits: { general: 10_000 },
    });
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    port = (gateway.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await gateway.close();
    await event.close();
    await media.close();
    await queue.close();
  });

  it('answers an upgrade on a route without a socket, and closes the connection', async () => {
    for (const upgrade of ['websocket', 'h2c']) {
      const { text, closed } = await exchange(
        port,
        'GET /api/events HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n' +
          `Upgrade: ${upgrade}\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      expect(closed).toBe(true);
      expect(text).toMatch(/^HTTP\/1\.1 400/);
      expect(text).toContain('application/problem+json');
      expect(text).toContain('UPGRADE_NOT_SUPPORTED');
    }
    expect(event.seen).toEqual([]);
    // The waiting room's socket still upgrades.
    const { text } = await exchange(
      port,
      'GET /queue/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n' +
        'Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      1000,
    );
    expect(text).toMatch(/^HTTP\/1\.1 101/);
  });

  it('passes a request on without the headers that were only about its connection', async () => {
    const heads: Record<string, string>[] = [
      { expect: '100-continue' },
      { 'keep-alive': 'timeout=5' },
      { upgrade: 'foo' },
      { connection: 'keep-alive, x-trace-hop', 'x-trace-hop': '1' },
      { te: 'trailers' },
    ];
    for (const headers of heads) {
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port, path: `/api/events?h=${randomUUID()}`, headers, agent: false },
          (res) => {
            res.resume();
            resolve(res.statusCode);
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(status, JSON.stringify(headers)).toBe(200);
    }
    expect(event.seen).toHaveLength(heads.length);
    for (const seen of event.seen) {
      for (const name of ['expect', 'keep-alive', 'upgrade', 'x-trace-hop', 'te']) {
        expect(seen.headers[name], name).toBeUndefined();
      }
    }
  });

  it("answers without the service's headers about its own connection, and closes when the client asks", async () => {
    const { text, closed } = await exchange(
      port,
      `GET /api/events?c=${randomUUID()} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    const head = text.slice(0, text.indexOf('\r\n\r\n')).toLowerCase();
    // The service's keep-alive with the gateway is not the client's: it must not keep the client's open.
    expect(head).not.toContain('keep-alive');
    expect(head).toContain('connection: close');
    expect(closed).toBe(true);
  });

  it('answers an Expect other than 100-continue itself, with a 417 problem', async () => {
    const before = event.seen.length;
    const { text } = await exchange(
      port,
      'POST /api/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: 102-processing\r\n' +
        'Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
    );
    expect(text).toMatch(/^HTTP\/1\.1 417 /);
    const [head, body = ''] = text.split('\r\n\r\n');
    expect(head).toMatch(/^content-type: application\/problem\+json$/im);
    expect(JSON.parse(body)).toMatchObject({ status: 417, code: 'EXPECTATION_FAILED' });
    expect(event.seen).toHaveLength(before);
  });

  it('sends a body of the upload size only from an operator', async () => {
    const body = JSON.stringify({ image: 'x'.repeat(32 * 1024) });
    const upload = (token: string) =>
      fetch(`http://127.0.0.1:${port}/api/media`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      });
    const fan = await upload(await tokens.sign({ id: randomUUID() }));
    expect(fan.status).toBe(413);
    expect(fan.headers.get('content-type')).toMatch(/problem\+json/);
    const small = await fetch(`http://127.0.0.1:${port}/api/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await tokens.sign({ id: randomUUID() })}` },
      body: 'x',
    });
    expect(small.status).toBe(403);
    expect(media.seen).toEqual([]);
    const admin = await upload(await tokens.sign({ id: randomUUID(), role: 'admin' }));
    expect(admin.status).toBe(200);
    expect(media.seen).toHaveLength(1);
  });
});
