/**
 * A crowd of waiting-room sockets in a process of its own (its own file-descriptor budget and event
 * loop), all on one queue instance, driven by the bench over IPC (several swarms make a bigger crowd): `add` joins and connects more waiters, `measure` reports the push
 * latency of the progress broadcasts and the round trip of `status` asks, `stop` ends it.
 */
import { performance } from 'node:perf_hooks';
import type { QueueProgress } from '@tiketi/contracts';
import { io, type Socket } from 'socket.io-client';
import { v7 as uuidv7 } from 'uuid';
import { broadcastClock, MOVING_LINE_WINDOW_MS, progressKey } from './lib/broadcasts.ts';
import { jsonClient } from './lib/http.ts';
import { challengeHeader, tokenMinter } from './lib/setup.ts';
import { increment, sleep } from './lib/stats.ts';

export type SwarmCommand =
  | { type: 'init'; queueUrl: string; eventId: string; privateJwk: string }
  | { type: 'add'; count: number }
  | { type: 'measure'; ms: number; asks: number }
  | { type: 'stop' };

let queueUrl = '';
let eventId = '';
let mint: Awaited<ReturnType<typeof tokenMinter>>;
let api: ReturnType<typeof jsonClient>;
const sockets: Socket[] = [];
const clock = broadcastClock(MOVING_LINE_WINDOW_MS);
const failures: Record<string, number> = {};
let connected = 0;
let dropped = 0;

async function addOne(): Promise<void> {
  const userId = uuidv7();
  const token = await mint(userId, `waiter-${userId}@bench.tiketi.test`);
  const joined = await api.post(
    `/api/queue/${eventId}/join`,
    {},
    token,
    await challengeHeader(api, 'join', eventId),
  );
  if (joined.status !== 201 && joined.status !== 200) {
    increment(failures, `join:${joined.status}`);
    return;
  }
  await new Promise<void>((resolve) => {
    const socket = io(queueUrl, {
      path: '/queue',
      transports: ['websocket'],
      auth: { token, eventId },
      forceNew: true,
    });
    let first = true;
    socket.on('status', () => {
      if (!first) return;
      first = false;
      connected++;
      sockets.push(socket);
      resolve();
    });
    socket.on('progress', (m: QueueProgress) => clock.arrived(progressKey(m)));
    socket.on('disconnect', () => {
      connected--;
      dropped++;
    });
    socket.on('connect_error', (error: Error & { data?: { code?: string } }) => {
      increment(failures, `socket:${error.data?.code ?? error.message}`);
      if (error.data || first) {
        socket.disconnect();
        resolve();
      }
    });
  });
}

async function add(count: number): Promise<void> {
  let left = count;
  await Promise.all(
    Array.from({ length: 100 }, async () => {
      while (left > 0) {
        left--;
        await addOne().catch((error: Error) => increment(failures, `error:${error.message.slice(0, 60)}`));
      }
    }),
  );
}

export type SwarmMeasure = Awaited<ReturnType<typeof measure>>;

async function measure(ms: number, asks: number) {
  clock.take();
  const rtt: number[] = [];
  const started = performance.now();
  for (let i = 0; i < asks && sockets.length; i++) {
    await sleep(ms / asks);
    const socket = sockets[Math.floor(Math.random() * sockets.length)]!;
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      socket.timeout(10_000).emit('status', () => {
        rtt.push(performance.now() - t0);
        resolve();
      });
    });
  }
  const rest = ms - (performance.now() - started);
  if (rest > 0) await sleep(rest);
  return {
    connected,
    dropped,
    // Every arrival, so that the bench can put the crowds of several swarms together.
    seen: clock.take().seen,
    askMs: rtt,
    failures: { ...failures },
    rssMb: Math.round(process.memoryUsage().rss / 1048576),
  };
}

process.on('message', (command: SwarmCommand) => {
  const reply = (message: unknown) => process.send?.(message);
  switch (command.type) {
    case 'init':
      queueUrl = command.queueUrl;
      eventId = command.eventId;
      api = jsonClient(queueUrl, 64);
      void tokenMinter(command.privateJwk).then((m) => {
        mint = m;
        reply({ type: 'ready' });
      });
      return;
    case 'add':
      void add(command.count).then(() => reply({ type: 'added', connected, failures }));
      return;
    case 'measure':
      void measure(command.ms, command.asks).then((result) => reply({ type: 'measured', result }));
      return;
    case 'stop':
      for (const s of sockets) s.disconnect();
      void api.close().finally(() => process.exit(0));
      return;
  }
});
