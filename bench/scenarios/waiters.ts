import { type ChildProcess, fork } from 'node:child_process';
import type { JsonClient } from '../lib/http.ts';
import { type Account, createEvent } from '../lib/setup.ts';
import type { Latency } from '../lib/stats.ts';
import type { SwarmCommand } from '../waiter-swarm.ts';

export type WaiterStep = {
  waiters: number;
  connected: number;
  broadcasts: number;
  deliveries: number;
  pushMs: Latency;
  askMs: Latency;
  swarmRssMb: number;
};

export type WaitersResult = {
  eventId: string;
  admissionRatePerMinute: number;
  steps: WaiterStep[];
  /** The most waiters at which p99 push stayed under 1 s. */
  heldWithP99UnderOneSecond: number;
  failures: Record<string, number>;
  limitNote: string;
};

function ask<T>(child: ChildProcess, command: SwarmCommand, answer: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type: string }) => {
      if (m.type !== answer) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m as T);
    };
    const onExit = (code: number | null) => reject(new Error(`waiter swarm exited (${code})`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(command);
  });
}

/**
 * Scenario 4: waiting-room capacity. Waiters join one queue instance directly (its own port, so the
 * gateway's proxying is not what is measured) and keep a socket open; at each step of the crowd's
 * growth the line moves at `admissionRatePerMinute` and every progress broadcast's delivery to every
 * socket is timed, as is the round trip of a `status` ask from random sockets.
 */
export async function waitingRoomCapacity(
  api: JsonClient,
  admin: Account,
  options: {
    queueUrl: string;
    privateJwk: string;
    steps: number[];
    measureMs: number;
    admissionRatePerMinute: number;
    limitNote: string;
  },
): Promise<WaitersResult> {
  const event = await createEvent(api, admin, {
    title: 'Bench waiting room',
    seats: 100,
    perUserLimit: 4,
    waitingRoom: {
      enabled: true,
      admissionRatePerMinute: options.admissionRatePerMinute,
      maxActiveShoppers: 1_000_000,
    },
  });
  const child = fork(new URL('../waiter-swarm.ts', import.meta.url).pathname, [], { stdio: 'inherit' });
  const steps: WaiterStep[] = [];
  let failures: Record<string, number> = {};
  try {
    await ask(
      child,
      { type: 'init', queueUrl: options.queueUrl, eventId: event.id, privateJwk: options.privateJwk },
      'ready',
    );
    let total = 0;
    for (const target of options.steps) {
      const added = await ask<{ failures: Record<string, number> }>(
        child,
        { type: 'add', count: target - total },
        'added',
      );
      total = target;
      failures = added.failures;
      const { result } = await ask<{
        result: Omit<WaiterStep, 'waiters' | 'swarmRssMb'> & { rssMb: number };
      }>(child, { type: 'measure', ms: options.measureMs, asks: 50 }, 'measured');
      steps.push({
        waiters: target,
        connected: result.connected,
        broadcasts: result.broadcasts,
        deliveries: result.deliveries,
        pushMs: result.pushMs,
        askMs: result.askMs,
        swarmRssMb: result.rssMb,
      });
    }
    await ask(child, { type: 'stop' }, 'never').catch(() => undefined);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  const good = steps.filter((s) => s.pushMs.p99 < 1000 && s.broadcasts > 0);
  return {
    eventId: event.id,
    admissionRatePerMinute: options.admissionRatePerMinute,
    steps,
    heldWithP99UnderOneSecond: Math.max(0, ...good.map((s) => s.connected)),
    failures,
    limitNote: options.limitNote,
  };
}
