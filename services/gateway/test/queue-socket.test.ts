import { createServer } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { QueueStatus } from '@tiketi/contracts';
import type { App } from '@tiketi/kit';
import { listenOnLoopback, testLogger } from '@tiketi/kit/testing';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  type Instance,
  joinQueue,
  publishedEvent,
  queueSuite,
} from '../../queue/test/support.ts';
import { buildApp } from '../src/app.ts';

const UPGRADE =
  'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
  'Sec-WebSocket-Version: 13\r\n';

type Answer = { status: number; head: string; body: unknown; closed: boolean };

/** Sends an upgrade for `/queue/?query` on a fresh connection and reads the answer until it is closed. */
function upgrade(url: string, query: string, waitMs = 5000) {
  return new Promise<Answer>((resolve) => {
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
    let text = '';
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const [head = '', body = ''] = text.split('\r\n\r\n');
      let parsed: unknown = body;
      try {
        parsed = JSON.parse(body);
      } catch {
        // Not JSON (a 101 followed by websocket frames): kept as the text it is.
      }
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]), head, body: parsed, closed });
    };
    const timer = setTimeout(() => done(false), waitMs);
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
    });
    socket.on('close', () => done(true));
    socket.on('error', () => undefined);
    socket.write(`GET /queue/?${query} HTTP/1.1\r\nHost: x\r\n${UPGRADE}\r\n`);
  });
}

const header = (head: string, name: string) => new RegExp(`^${name}: *(.*)$`, 'im').exec(head)?.[1]?.trim();

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the waiting room’s socket through the gateway', () => {
  const { instances, tokens, redis, user, announce } = queueSuite('gw-queue-socket', {}, { instances: 2 });
  const [one, two] = instances as [Instance, Instance];
  let gateway: App;
  let url: string;
  const clients: Socket[] = [];

  /** A Socket.IO client as the web app opens it, through the gateway, recording what it hears. */
  const connect = (fan: { token: string }, eventId: string, extraHeaders: Record<string, string> = {}) => {
    const socket = io(url, {
      path: '/queue',
      transports: ['websocket'],
      auth: { token: fan.token, eventId },
      extraHeaders,
      forceNew: true,
      reconnection: false,
    });
    clients.push(socket);
    const heard = { statuses: [] as QueueStatus[], errors: [] as string[], disconnects: [] as string[] };
    socket.on('status', (status: QueueStatus) => heard.statuses.push(status));
    socket.on('connect_error', (error: Error & { data?: { code: string } }) =>
      heard.errors.push(error.data?.code ?? error.message),
    );
    socket.on('disconnect', (reason) => heard.disconnects.push(reason));
    return { socket, heard };
  };

  const sockets = (instance: Instance) => instance.service.io.engine.clientsCount;

  beforeAll(async () => {
    gateway = await buildApp({
      logger: testLogger(),
      jwks: tokens.jwks,
      upstreams: { queue: [one.url, two.url] },
    });
    url = await listenOnLoopback(gateway);
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await gateway.close();
  });

  it('answers an upgrade the waiting room refuses with the waiting room’s own answer, and no websocket', async () => {
    for (const query of [
      // engine.io accepts the websocket of an older protocol before it looks: the service refuses it first.
      'EIO=3&transport=websocket',
      'EIO=4&transport=polling',
      'EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA',
    ]) {
      const direct = await upgrade(one.url, query);
      expect(direct.status, query).toBe(400);
      const through = await upgrade(url, query);
      expect(through.status, query).toBe(direct.status);
      expect(header(through.head, 'content-type'), query).toBe('application/problem+json');
      expect(through.body, query).toEqual(direct.body);
      expect(through.body, query).toMatchObject({ status: 400, code: 'SOCKET_HANDSHAKE_REFUSED' });
      expect(through.closed, query).toBe(true);
    }
  });

  it('answers 503 or 504 problem+json, not a websocket, when the waiting room cannot answer', async () => {
    // A listener that takes the connection and never answers.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      for (const [queue, status] of [
        [`http://127.0.0.1:${await closedPort()}`, 503],
        [silentUrl, 504],
      ] as const) {
        const lonely = await buildApp({
          logger: testLogger(),
          jwks: tokens.jwks,
          upstreams: { queue },
          upstreamTimeoutMs: 300,
        });
        try {
          const answer = await upgrade(await listenOnLoopback(lonely), 'EIO=4&transport=websocket');
          expect(answer.status, queue).toBe(status);
          expect(header(answer.head, 'content-type'), queue).toBe('application/problem+json');
          expect(answer.body, queue).toMatchObject({ status, code: 'UPSTREAM_UNAVAILABLE' });
          expect(answer.closed, queue).toBe(true);
        } finally {
          await lonely.close();
        }
      }
    } finally {
      silent.close();
    }
  });

  it('joins Socket.IO clients to the instances in turn, each counted by the caller’s own address', async () => {
    const sale = await announce(publishedEvent());
    const fans = [await user(), await user()];
    for (const fan of fans) expect((await joinQueue(url, fan.token, sale.eventId)).status).toBe(201);
    // The caller's own X-Forwarded-For is not believed: the gateway names the address it sees.
    const watchers = fans.map((fan) => connect(fan, sale.eventId, { 'x-forwarded-for': '203.0.113.9' }));
    for (const { heard } of watchers) {
      await eventually(() => heard.statuses[0] ?? heard.errors[0], 'the first status');
      expect(heard.errors).toEqual([]);
      expect(heard.statuses[0]).toMatchObject({ eventId: sale.eventId });
    }
    expect([sockets(one), sockets(two)]).toEqual([1, 1]);
    expect(await redis.zcard('queue:{sockets}:ip:127.0.0.1')).toBe(2);
    expect(await redis.zcard('queue:{sockets}:ip:203.0.113.9')).toBe(0);

    // Either side closing closes the other: the client leaving ends its socket on the instance...
    watchers[0]?.socket.close();
    await eventually(() => sockets(one) + sockets(two) === 1, 'the instance to see the client leave');
    // ...and an instance closing it ends the client's.
    one.service.io.disconnectSockets(true);
    two.service.io.disconnectSockets(true);
    await eventually(() => watchers[1]?.heard.disconnects[0], 'the client to see its socket closed');
    expect(watchers[1]?.heard.disconnects).toEqual(['io server disconnect']);
  });

  it('closes the sockets through it when the gateway shuts down, on both sides', async () => {
    const sale = await announce(publishedEvent());
    const fan = await user();
    expect((await joinQueue(url, fan.token, sale.eventId)).status).toBe(201);
    const closing = await buildApp({
      logger: testLogger(),
      jwks: tokens.jwks,
      upstreams: { queue: one.url },
    });
    const through = await listenOnLoopback(closing);
    const socket = io(through, {
      path: '/queue',
      transports: ['websocket'],
      auth: { token: fan.token, eventId: sale.eventId },
      forceNew: true,
      reconnection: false,
    });
    clients.push(socket);
    const reasons: string[] = [];
    socket.on('disconnect', (reason) => reasons.push(reason));
    await eventually(() => socket.connected || undefined, 'the socket to connect');
    expect(sockets(one)).toBe(1);
    await closing.close();
    await eventually(() => reasons[0], 'the client to see its socket closed');
    expect(reasons).toEqual(['transport close']);
    await eventually(() => sockets(one) === 0, 'the instance to see the socket closed');
  });
});
