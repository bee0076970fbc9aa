import { createRedis } from '@tiketi/kit';
import { createTestTokens, type TestTokens } from '@tiketi/kit/testing';
import { io, type Socket } from 'socket.io-client';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeAll,
  eventually,
  type Instance,
  joinQueue,
  publish,
  publishedEvent,
  queueTestConfig,
  startInstance,
} from './support.ts';

describe('limits on waiting-room sockets', () => {
  const config = {
    ...queueTestConfig('queue-socket-limits'),
    SOCKETS_PER_USER: 3,
    SOCKETS_PER_ADDRESS: 4,
    SOCKET_MESSAGES_PER_SECOND: 5,
    SOCKET_MESSAGE_STRIKES: 20,
  };
  let tokens: TestTokens;
  let instances: Instance[];
  let a: string;
  let b: string;
  const redis = createRedis(config.REDIS_URL, config.REDIS_PREFIX);
  const sockets: Socket[] = [];

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    redis.disconnect();
    await closeAll(instances);
  });

  const sale = publishedEvent();
  beforeAll(async () => {
    tokens = await createTestTokens();
    // Two instances: the caps hold across them.
    instances = [await startInstance(config, tokens.jwks), await startInstance(config, tokens.jwks)];
    [a, b] = instances.map((i) => i.url) as [string, string];
    await publish(instances[0]!.bus, 'event.published', sale);
    await eventually(() => redis.hget(`queue:{${sale.eventId}}:settings`, 'enabled'), 'the sale to be known');
  });

  const fan = async () => {
    const id = uuidv7();
    const token = await tokens.sign({ id });
    await joinQueue(a, token, sale.eventId);
    return { id, token };
  };
  /** Resolves with 'connected' or the code of the refusal. */
  function open(
    url: string,
    token: string,
    address = '198.51.100.1',
  ): Promise<{ socket: Socket; outcome: string }> {
    const socket = io(url, {
      path: '/queue',
      transports: ['websocket'],
      auth: { token, eventId: sale.eventId },
      extraHeaders: { 'x-forwarded-for': address },
      forceNew: true,
      reconnection: false,
    });
    sockets.push(socket);
    return new Promise((resolve) => {
      socket.once('connect', () => resolve({ socket, outcome: 'connected' }));
      socket.once('connect_error', (error: Error & { data?: { code: string } }) =>
        resolve({ socket, outcome: error.data?.code ?? error.message }),
      );
    });
  }

  it('refuses a user more sockets than the cap, whichever instance they reach', async () => {
    const u = await fan();
    const opened = [await open(a, u.token), await open(a, u.token), await open(b, u.token)];
    expect(opened.map((o) => o.outcome)).toEqual(['connected', 'connected', 'connected']);
    expect((await open(b, u.token)).outcome).toBe('TOO_MANY_CONNECTIONS');
    expect((await open(a, u.token)).outcome).toBe('TOO_MANY_CONNECTIONS');

    // A closed socket gives its place back.
    opened[0]?.socket.disconnect();
    await eventually(
      async () => (await open(b, u.token)).outcome === 'connected' || undefined,
      'a free place',
    );
  });

  it('refuses one client address more sockets than its cap, and not another address', async () => {
    const fans = await Promise.all(Array.from({ length: 5 }, fan));
    const outcomes: string[] = [];
    for (const [i, f] of fans.entries()) {
      outcomes.push((await open(i % 2 ? a : b, f.token, '203.0.113.9')).outcome);
    }
    expect(outcomes).toEqual(['connected', 'connected', 'connected', 'connected', 'TOO_MANY_CONNECTIONS']);
    expect((await open(a, fans[4]!.token, '203.0.113.10')).outcome).toBe('connected');
  });

  it('answers a socket that floods it with an error, then disconnects it', async () => {
    const u = await fan();
    const { socket, outcome } = await open(b, u.token, '192.0.2.44');
    expect(outcome).toBe('connected');
    const errors: { code: string }[] = [];
    let answers = 0;
    socket.on('error', (problem: { code: string }) => errors.push(problem));
    const gone = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
    for (let i = 0; i < 200; i++) socket.emit('status', () => answers++);
    expect(await gone).toBe('io server disconnect');
    expect(errors[0]).toMatchObject({ code: 'RATE_LIMITED' });
    // The burst was answered, the flood was not.
    expect(answers).toBeLessThanOrEqual(12);
  });
});
