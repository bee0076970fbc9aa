import { type ChildProcess, fork } from 'node:child_process';
import { MOVING_LINE_WINDOW_MS, mergeBroadcasts } from '../lib/broadcasts.ts';
import { type CpuGroup, cpuMeter } from '../lib/cpu.ts';
import type { JsonClient } from '../lib/http.ts';
import { type Account, createEvent } from '../lib/setup.ts';
import { increment, type Latency, summarise } from '../lib/stats.ts';
import type { SwarmCommand, SwarmMeasure } from '../waiter-swarm.ts';

export type WaiterStep = {
  waiters: number;
  connected: number;
  /** Connected sockets per queue instance. */
  perInstance: number[];
  broadcasts: number;
  deliveries: number;
  pushMs: Latency;
  askMs: Latency;
  swarmRssMb: number;
  /**
   * CPU time over the step's measuring window per progress broadcast, by process group: what delivering
   * one broadcast to every waiter costs the queue instances, and what reading it costs the swarms.
   */
  cpuPerBroadcast: { name: string; cpuMs: number; perBroadcastMs: number }[];
};

export type WaitersResult = {
  eventId: string;
  instances: number;
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
 * Scenario 4: waiting-room capacity across the queue instances. One waiter swarm (a process of its own)
 * per instance joins it directly (its own port, so the gateway's proxying is not what is measured) and
 * keeps the sockets open; at each step of the crowd's growth the line moves at `admissionRatePerMinute`
 * and every progress broadcast's delivery to every socket of every swarm is timed (from its first arrival
 * in any swarm), as is the round trip of a `status` ask from random sockets.
 */
export async function waitingRoomCapacity(
  api: JsonClient,
  admin: Account,
  options: {
    queueUrls: string[];
    privateJwk: string;
    steps: number[];
    measureMs: number;
    admissionRatePerMinute: number;
    limitNote: string;
    /** The platform's processes whose CPU a broadcast costs (the queue instances, Redis). */
    cpuGroups?: () => Promise<CpuGroup[]>;
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
  const swarms = options.queueUrls.map(() =>
    fork(new URL('../waiter-swarm.ts', import.meta.url).pathname, [], { stdio: 'inherit' }),
  );
  const steps: WaiterStep[] = [];
  const failures: Record<string, number> = {};
  try {
    await Promise.all(
      swarms.map((child, i) =>
        ask(
          child,
          {
            type: 'init',
            queueUrl: options.queueUrls[i]!,
            eventId: event.id,
            privateJwk: options.privateJwk,
          },
          'ready',
        ),
      ),
    );
    let total = 0;
    for (const target of options.steps) {
      // The new waiters, shared out evenly over the swarms (and so the instances).
      const more = target - total;
      await Promise.all(
        swarms.map((child, i) =>
          ask(
            child,
            {
              type: 'add',
              count: Math.floor(more / swarms.length) + (i < more % swarms.length ? 1 : 0),
            },
            'added',
          ),
        ),
      );
      total = target;
      const groups = [
        ...((await options.cpuGroups?.()) ?? []),
        { name: 'waiter swarms (load generator)', pids: swarms.map((c) => c.pid as number) },
      ];
      const cpu = cpuMeter(groups);
      const measured = await Promise.all(
        swarms.map((child) =>
          ask<{ result: SwarmMeasure }>(
            child,
            { type: 'measure', ms: options.measureMs, asks: Math.ceil(50 / swarms.length) },
            'measured',
          ),
        ),
      );
      const results = measured.map((m) => m.result);
      const pushes = mergeBroadcasts(
        results.map((r) => r.seen),
        MOVING_LINE_WINDOW_MS,
      );
      const cpuPerBroadcast = cpu(pushes.broadcasts).map((c) => ({
        name: c.name,
        cpuMs: c.cpuMs,
        perBroadcastMs: c.perHoldMs,
      }));
      for (const key of Object.keys(failures)) delete failures[key];
      for (const r of results) for (const [k, n] of Object.entries(r.failures)) increment(failures, k, n);
      steps.push({
        waiters: target,
        connected: results.reduce((sum, r) => sum + r.connected, 0),
        perInstance: results.map((r) => r.connected),
        broadcasts: pushes.broadcasts,
        deliveries: pushes.latencies.length,
        pushMs: summarise(pushes.latencies),
        askMs: summarise(results.flatMap((r) => r.askMs)),
        swarmRssMb: results.reduce((sum, r) => sum + r.rssMb, 0),
        cpuPerBroadcast,
      });
    }
    await Promise.all(swarms.map((child) => ask(child, { type: 'stop' }, 'never').catch(() => undefined)));
  } finally {
    for (const child of swarms) if (child.exitCode === null) child.kill('SIGKILL');
  }
  const good = steps.filter((s) => s.pushMs.p99 < 1000 && s.broadcasts > 0);
  return {
    eventId: event.id,
    instances: options.queueUrls.length,
    admissionRatePerMinute: options.admissionRatePerMinute,
    steps,
    heldWithP99UnderOneSecond: Math.max(0, ...good.map((s) => s.connected)),
    failures,
    limitNote: options.limitNote,
  };
}
