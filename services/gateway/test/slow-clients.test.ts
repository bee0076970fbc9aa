import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '@tiketi/kit';
import { createTestTokens, postChunked, slowClient, testLogger } from '@tiketi/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { type EchoService, startEchoService } from './upstreams.ts';

/** More clients than the proxy keeps connections to one service (128). */
const CROWD = 140;

describe('gateway against slow and oversized bodies', () => {
  let payment: EchoService;
  let gateway: App;
  let base: string;
  let bearer: { authorization: string };
  beforeAll(async () => {
    const tokens = await createTestTokens();
    payment = await startEchoService('payment');
    gateway = await buildApp({
      logger: testLogger(),
      jwks: tokens.jwks,
      upstreams: { payment: payment.url },
      bodyLimitBytes: 1024,
      http: { requestTimeoutMs: 2000, headersTimeoutMs: 1000 },
      rateLimits: { general: 10_000 },
    });
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
    bearer = {
      authorization: `Bearer ${await tokens.sign({ id: '0190f2a4-0000-7000-8000-0000000000a1' })}`,
    };
  });
  afterAll(async () => {
    await gateway.close();
    await payment.close();
  });

  it('answers a signed-in request at once while more slow bodies than upstream connections dribble in', async () => {
    const crowd = Array.from({ length: CROWD }, () =>
      slowClient(`${base}/api/payments/toss/webhook`, { intervalMs: 500 }),
    );
    try {
      // Let every slow client be accepted and start its body.
      await new Promise((resolve) => setTimeout(resolve, 700));
      const res = await fetch(`${base}/api/payments`, { headers: bearer });
      expect(res.status).toBe(200);
      // Answered while every slow client still held its connection: it did not wait for them to be cut off.
      expect(crowd.filter((client) => !client.open)).toHaveLength(0);
      // No slow body reached the service: it saw only the signed-in request.
      expect(payment.seen.map((s) => s.url)).toEqual(['/api/payments']);
    } finally {
      for (const client of crowd) client.close();
    }
  });

  it('cuts a client off with 408 when its body has not arrived within the request timeout', async () => {
    const client = slowClient(`${base}/api/payments/toss/webhook`, { intervalMs: 300 });
    // Its body would take five minutes to arrive: only the request timeout (2 s) ends it, with 408.
    const { status } = await client.ended;
    expect(status).toBe(408);
  });

  it('answers 413 problem+json to an oversized body sent without a Content-Length', async () => {
    // Chunked: the size is known only by reading it.
    const answer = await postChunked(
      `${base}/api/payments/toss/request`,
      bearer,
      Array.from({ length: 8 }, () => `"${'x'.repeat(500)}"`),
    );
    expect(answer.status).toBe(413);
    expect(answer.type).toMatch(/application\/problem\+json/);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' });
    expect(payment.seen.some((s) => s.url === '/api/payments/toss/request')).toBe(false);
  });

  it('still forwards a small chunked body whole, with its length', async () => {
    const res = await fetch(`${base}/api/payments/toss/confirm`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: new Blob([JSON.stringify({ orderId: 'o-1', amount: 5000 })]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(200);
    const echo = (await res.json()) as { body: unknown; headers: Record<string, string> };
    expect(echo.body).toEqual({ orderId: 'o-1', amount: 5000 });
    expect(echo.headers['content-length']).toBe(
      String(JSON.stringify({ orderId: 'o-1', amount: 5000 }).length),
    );
  });

  it('forwards a body sent without a Content-Type byte for byte, as application/octet-stream', async () => {
    // A bare server: the kit's would refuse a body of no declared type before recording it.
    const received: { headers: http.IncomingHttpHeaders; body: Buffer }[] = [];
    const raw = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const rawGateway = await buildApp({
      logger: testLogger(),
      jwks: (await createTestTokens()).jwks,
      upstreams: { payment: `http://127.0.0.1:${(raw.address() as AddressInfo).port}` },
    });
    try {
      const bytes = Buffer.from([0x00, 0xff, 0x7b, 0x22, 0x0a, 0x80]);
      const res = await rawGateway.inject({
        method: 'POST',
        url: '/api/payments/toss/webhook',
        headers: { 'content-length': String(bytes.length) },
        payload: bytes,
      });
      expect(res.statusCode).toBe(204);
      expect(received).toHaveLength(1);
      expect(received[0]?.body.equals(bytes)).toBe(true);
      expect(received[0]?.headers['content-type']).toBe('application/octet-stream');
      expect(received[0]?.headers['content-length']).toBe(String(bytes.length));
    } finally {
      await rawGateway.close();
      await new Promise((resolve) => raw.close(resolve));
    }
  });
});
