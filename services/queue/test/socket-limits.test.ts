import { io, type Socket } from 'socket.io-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Instance, joinQueue, publishedEvent, queueSuite } from './support.ts';

describe('limits on waiting-room sockets', () => {
  // Two instances: the caps hold across them.
  const { instances, user, track, announce, redis } = queueSuite(
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

  /**
   * A bare Engine.IO connection to `/queue` (what a script would open): resolves once the server's open
   * packet came, with the packets received since and a way to wait for the next one.
   */
  async function rawConnection(instance: Instance) {
    const ws = new WebSocket(`${instance.url.replace('http', 'ws')}/queue/?EIO=4&transport=websocket`);
    const packets: string[] = [];
    let closed = false;
    const waiters: (() => void)[] = [];
    const wake = () => {
      for (const w of waiters.splice(0)) w();
    };
    ws.addEventListener('message', (m) => {
      const data = String(m.data);
      if (data === '2') ws.send('3');
      else packets.push(data);
      wake();
    });
    ws.addEventListener('close', () => {
      closed = true;
      wake();
    });
    const next = () => new Promise<void>((resolve) => waiters.push(resolve));
    while (!packets.some((p) => p.startsWith('0')) && !closed) await next();
    return { ws, packets, next, isClosed: () => closed };
  }
  const handshake = (token: string) => `40${JSON.stringify({ token, eventId: sale.eventId })}`;

  it('gives a lease back when the client went away during its handshake', async () => {
    const u = await fan();
    // Ten times: the handshake is sent, and the connection closed before it is answered.
    for (let i = 0; i < 10; i++) {
      const { ws } = await rawConnection(a);
      ws.send(handshake(u.token));
      ws.close();
    }
    const leases = () => redis.zcard(`queue:{sockets}:user:${u.id}`);
    await eventually(async () => (await leases()) === 0 || undefined, 'the leases to be given back', 5000);
    expect((await open(a, u.token)).outcome).toBe('connected');
  });

  it('closes a connection that keeps sending handshakes, however they end', async () => {
    const forged = `${(await user()).token}x`;
    const raw = await rawConnection(b);
    const refusals = () => raw.packets.filter((p) => p.startsWith('44')).length;
    for (let i = 0; i < 50 && !raw.isClosed(); i++) {
      const before = refusals();
      raw.ws.send(handshake(forged));
      while (refusals() === before && !raw.isClosed()) await raw.next();
    }
    expect(raw.isClosed()).toBe(true);
    expect(refusals()).toBeLessThanOrEqual(5);
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
