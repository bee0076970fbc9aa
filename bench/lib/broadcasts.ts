import { performance } from 'node:perf_hooks';

/**
 * Push latency of a broadcast that reaches many sockets: each arrival's delay after the first socket got
 * the same message. The messages carry no send time, and the first arrival follows the send by the
 * loopback's fraction of a millisecond, so this is the fan-out delay — the server writing to every
 * socket plus the client reading them all, which shares the cores. Identical messages more than
 * `windowMs` apart are separate broadcasts (the waiting room's heartbeat repeats an unchanged line).
 */
export function broadcastClock(windowMs = 1800) {
  const firsts = new Map<string, number>();
  let latencies: number[] = [];
  let broadcasts = 0;
  return {
    arrived(key: string): void {
      const at = performance.now();
      const first = firsts.get(key);
      if (first === undefined || at - first > windowMs) {
        firsts.set(key, at);
        broadcasts++;
        latencies.push(0);
        if (firsts.size > 10_000) firsts.clear();
        return;
      }
      latencies.push(at - first);
    },
    /** What was collected since the last take, and a fresh start. */
    take(): { latencies: number[]; broadcasts: number } {
      const out = { latencies, broadcasts };
      latencies = [];
      broadcasts = 0;
      return out;
    },
  };
}

/** The identity of a waiting-room progress message. */
export const progressKey = (m: { nowServing: number; waiting: number; opened: boolean }) =>
  `${m.opened ? 1 : 0}:${m.nowServing}:${m.waiting}`;
