import { io, type Socket } from 'socket.io-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Instance, joinQueue, publishedEvent, queueSuite } from './support.ts';

describe('limits on waiting-room sockets', () => {
  // Two instances: the caps hold across them.
  const { instances, user, track, announce } = queueSuite(
    'queue-socket-limits',
    {
      SOCKETS_PER_USER: 3,
      SOCKETS_PER_ADDRESS: 4,
      SOCKET_MESSAGES_PER_SECOND: 5,
      SOCKET_MESSAGE_STRIKES: 20,
    },
    { instances: 2 },
  );
  const [a, b] = instances as [Instance, Instance];
  const sale = publishedEvent();
  beforeAll(() => announce(sale));

  const fan = async () => {
    const u = await user();
    await joinQueue(a.url, u.token, sale.eventId);
    return u;
  };
  /** Resolves with 'connected' or the code of the refusal. */
  function open(
    instance: Instance,
    token: string,
    address = '198.51.100.1',
  ): Promise<{ socket: Socket; outcome: string }> {
    const socket = track(
      io(instance.url, {
        path: '/queue',
        transports: ['websocket'],
        auth: { token, eventId: sale.eventId },
        extraHeaders: { 'x-forwarded-for': address },
        forceNew: true,
        reconnection: false,
      }),
    );
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
