import { randomUUID } from 'node:crypto';
import type { QueueStatus } from '@tiketi/contracts';
import { sessionRevocations } from '@tiketi/kit';
import { v7 as uuidv7 } from 'uuid';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, joinQueue, publishedEvent, queueSuite, type Watcher } from './support.ts';

/*
 * A fan who signs out ends their session: the user service records it in Redis, where every token check
 * reads it. A waiting-room socket opened before went on hearing the room, and answering its messages, for
 * as long as it stayed open.
 */

type Problem = { status: number; code: string; detail: string };

/** Setup shared by both blocks: a sale, fans signed in with sessions of their own, and a sign-out. */
function signedInFans(suite: ReturnType<typeof queueSuite>) {
  const sale = publishedEvent();
  beforeAll(() => suite.announce(sale));
  // What the user service does when a fan signs out.
  const ending = sessionRevocations(suite.redis);
  return {
    eventId: sale.eventId,
    /** A fan with a place in the room and a socket watching it. */
    async waiting() {
      const id = uuidv7();
      const sessionId = randomUUID();
      const user = { id, token: await suite.tokens.sign({ id }, { sessionId }) };
      await joinQueue(suite.queue.url, user.token, sale.eventId);
      const watcher = suite.watch(suite.queue.url, user, sale.eventId);
      await watcher.connected();
      const errors: Problem[] = [];
      const disconnects: string[] = [];
      watcher.socket.on('error', (problem: Problem) => errors.push(problem));
      watcher.socket.on('disconnect', (reason) => disconnects.push(reason));
      return { user, watcher, errors, disconnects, signOut: () => ending.revoke(sessionId, 900) };
    },
  };
}

const sessionEnded = { status: 401, code: 'UNAUTHORIZED', detail: 'This session has ended; sign in again.' };

describe('a waiting-room socket whose fan signed out', () => {
  const suite = queueSuite('queue-sign-out', { SOCKET_SESSION_CHECK_MS: 200 });
  const fans = signedInFans(suite);

  it('is told the session ended and closed, while the other fans’ sockets go on', async () => {
    const [leaving, staying] = [await fans.waiting(), await fans.waiting()];
    await leaving.signOut();

    await eventually(() => leaving.disconnects.length > 0, 'the signed-out socket to be closed', 10_000);
    expect(leaving.disconnects).toEqual(['io server disconnect']);
    expect(leaving.errors).toEqual([sessionEnded]);
    // Its handshake is refused too, should the page try again.
    leaving.watcher.socket.connect();
    await eventually(() => leaving.watcher.errors.length > 0, 'the handshake to be refused');
    expect(leaving.watcher.errors).toEqual([sessionEnded.code]);

    expect(staying.watcher.socket.connected).toBe(true);
    const heard = staying.watcher.progress.length;
    await eventually(() => staying.watcher.progress.length > heard, 'the other fan to hear the room');
    expect(staying.disconnects).toEqual([]);
  });
});

describe('a message from a socket whose fan signed out', () => {
  // The periodic check is far off: only the message's own check can refuse it.
  const suite = queueSuite('queue-sign-out-message', { SOCKET_SESSION_CHECK_MS: 600_000 });
  const fans = signedInFans(suite);
  const ask = (watcher: Watcher) =>
    new Promise<QueueStatus | { error: Problem }>((resolve) => watcher.socket.emit('status', resolve));

  it('is refused, and the socket closed', async () => {
    const fan = await fans.waiting();
    expect(await ask(fan.watcher)).toMatchObject({ eventId: fans.eventId });
    await fan.signOut();

    expect(await ask(fan.watcher)).toEqual({ error: sessionEnded });
    await eventually(() => fan.disconnects.length > 0, 'the socket to be closed');
    expect(fan.disconnects).toEqual(['io server disconnect']);
  });
});

/*
 * An access token lives minutes; a socket opened with one lived for as long as it stayed open, hearing the
 * fan's admission long after the token (a copied one, say) stopped opening anything else.
 */
const tokenExpired = { status: 401, code: 'UNAUTHORIZED', detail: 'The access token has expired.' };

/** A fan in the room whose socket was opened with a token that expires in `expiresIn`. */
function watchingWith(suite: ReturnType<typeof queueSuite>, eventId: string) {
  return async (expiresIn: string) => {
    const id = uuidv7();
    const user = { id, token: await suite.tokens.sign({ id }, { sessionId: randomUUID(), expiresIn }) };
    await joinQueue(suite.queue.url, user.token, eventId);
    const watcher = suite.watch(suite.queue.url, user, eventId);
    await watcher.connected();
    const errors: Problem[] = [];
    const disconnects: string[] = [];
    watcher.socket.on('error', (problem: Problem) => errors.push(problem));
    watcher.socket.on('disconnect', (reason) => disconnects.push(reason));
    return { watcher, errors, disconnects };
  };
}

describe('a waiting-room socket whose access token expired', () => {
  const suite = queueSuite('queue-token-expiry', { SOCKET_SESSION_CHECK_MS: 200 });
  const sale = publishedEvent();
  beforeAll(() => suite.announce(sale));
  const watching = watchingWith(suite, sale.eventId);

  it('is told so and closed once the token expires, while a fresh token’s socket goes on', async () => {
    const [expiring, fresh] = [await watching('3s'), await watching('5m')];
    await eventually(
      () => expiring.disconnects.length > 0,
      'the socket of the expired token to be closed',
      10_000,
    );
    expect(expiring.errors).toEqual([tokenExpired]);
    expect(expiring.disconnects).toEqual(['io server disconnect']);
    expect(fresh.watcher.socket.connected).toBe(true);
    expect(fresh.disconnects).toEqual([]);
  });
});

describe('a message from a socket whose access token expired', () => {
  // The periodic check is far off: only the message's own check can refuse it.
  const suite = queueSuite('queue-token-expiry-message', { SOCKET_SESSION_CHECK_MS: 600_000 });
  const sale = publishedEvent();
  beforeAll(() => suite.announce(sale));
  const watching = watchingWith(suite, sale.eventId);

  it('is refused, and the socket closed', async () => {
    const fan = await watching('2s');
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const answer = await new Promise<unknown>((resolve) => fan.watcher.socket.emit('status', resolve));
    expect(answer).toEqual({ error: tokenExpired });
    await eventually(() => fan.disconnects.length > 0, 'the socket to be closed');
    expect(fan.errors).toEqual([tokenExpired]);
  });
});
