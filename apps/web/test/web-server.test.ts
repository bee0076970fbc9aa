import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { Server } from 'socket.io';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebServer } from '../scripts/web-server.ts';

/** The web server in front of a stand-in gateway: it serves the app and passes the API on. */
const dist = mkdtempSync(join(tmpdir(), 'web-dist-'));
const gateway = Fastify();
const socketServer = new Server(gateway.server, { path: '/queue', transports: ['websocket'] });
let web: Awaited<ReturnType<typeof createWebServer>>;
let webUrl = '';

beforeAll(async () => {
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(join(dist, 'assets', 'app-abc123.js'), 'console.log(1)');
  gateway.all('/api/*', async (req) => ({ method: req.method, url: req.url, body: req.body ?? null }));
  gateway.get('/media/images/:id/:file', async (_req, reply) =>
    reply.type('image/webp').send(Buffer.from('RIFF')),
  );
  socketServer.on('connection', (socket) => socket.emit('hello', socket.handshake.auth));
  await gateway.listen({ port: 0, host: '127.0.0.1' });
  const gatewayUrl = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
  web = await createWebServer({ distDir: dist, gatewayUrl });
  await web.listen({ port: 0, host: '127.0.0.1' });
  webUrl = `http://127.0.0.1:${(web.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await web?.close();
  await socketServer.close();
  await gateway.close();
  rmSync(dist, { recursive: true, force: true });
});

describe('web server', () => {
  it('serves the app with security headers', async () => {
    const res = await fetch(`${webUrl}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<div id="root">');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('answers every app route with the app, and unknown files with 404', async () => {
    const route = await fetch(`${webUrl}/events/01936b2a-0000-7000-8000-000000000001/seats?x=1`);
    expect(route.status).toBe(200);
    expect(route.headers.get('content-type')).toMatch(/^text\/html/);
    expect(route.headers.get('content-security-policy')).toBeTruthy();
    expect((await fetch(`${webUrl}/nothing-here.js`)).status).toBe(404);
  });

  it('serves hashed assets as immutable', async () => {
    const res = await fetch(`${webUrl}/assets/app-abc123.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('immutable');
  });

  it('passes API calls and media through to the gateway', async () => {
    const res = await fetch(`${webUrl}/api/reservations?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer abc' },
      body: JSON.stringify({ seatIds: ['a'] }),
    });
    expect(await res.json()).toEqual({
      method: 'POST',
      url: '/api/reservations?x=1',
      body: { seatIds: ['a'] },
    });
    expect(res.headers.get('content-security-policy')).toBeNull();
    const image = await fetch(`${webUrl}/media/images/abc/small.webp`);
    expect(image.headers.get('content-type')).toBe('image/webp');
  });

  it('passes the waiting room websocket through to the gateway', async () => {
    const client = io(webUrl, {
      path: '/queue',
      transports: ['websocket'],
      auth: { token: 't', eventId: 'e' },
    });
    try {
      const hello = await new Promise((resolve, reject) => {
        client.on('hello', resolve);
        client.on('connect_error', reject);
      });
      expect(hello).toEqual({ token: 't', eventId: 'e' });
    } finally {
      client.close();
    }
  });
});
