import { performance } from 'node:perf_hooks';

/** One broadcast as one process saw it: its first arrival (wall clock, ms) and every arrival's delay. */
export type BroadcastSeen = { key: string; firstAt: number; latencies: number[] };

/** Wall-clock milliseconds with sub-millisecond precision, comparable between processes of one machine. */
const wallClock = () => performance.timeOrigin + performance.now();

/**
 * Push latency of a broadcast that reaches many sockets: each arrival's delay after the first socket got
 * the same message. The messages carry no send time, and the first arrival follows the send by the
 * loopback's fraction of a millisecond, so this is the fan-out delay — the server writing to every
 * socket plus the client reading them all, which shares the cores. Identical messages more than
 * `windowMs` apart are separate broadcasts (the waiting room's heartbeat repeats an unchanged line).
 */
export function broadcastClock(windowMs = BROADCAST_WINDOW_MS) {
  const open = new Map<string, BroadcastSeen>();
  let seen: BroadcastSeen[] = [];
  return {
    arrived(key: string): void {
      const at = wallClock();
      const current = open.get(key);
      if (current === undefined || at - current.firstAt > windowMs) {
        const fresh = { key, firstAt: at, latencies: [0] };
        open.set(key, fresh);
        seen.push(fresh);
        if (open.size > 10_000) open.clear();
        return;
      }
      current.latencies.push(at - current.firstAt);
    },
    /** What was collected since the last take, and a fresh start. */
    take(): { latencies: number[]; broadcasts: number; seen: BroadcastSeen[] } {
      const out = { latencies: seen.flatMap((b) => b.latencies), broadcasts: seen.length, seen };
      seen = [];
      open.clear();
      return out;
    },
  };
}

const BROADCAST_WINDOW_MS = 1800;

/**
 * The window for a line that moves at every broadcast (the waiters part admits one fan a second, and
 * broadcasts at most once a second): no two of its broadcasts carry the same figures, so a window far
 * longer than any fan-out keeps each broadcast's late arrivals in it. With the default window, a fan-out
 * slower than 1.8 s would count its late arrivals as a broadcast of their own, from a delay of 0.
 */
export const MOVING_LINE_WINDOW_MS = 10_000;

/**
 * The broadcasts several processes saw, as one crowd: the same message seen by each process within the
 * window is one broadcast, and every arrival's delay counts from the first arrival in any process.
 */
export function mergeBroadcasts(
  parts: BroadcastSeen[][],
  windowMs = BROADCAST_WINDOW_MS,
): { latencies: number[]; broadcasts: number } {
  const all = parts.flat().sort((a, b) => a.firstAt - b.firstAt);
  const groups: { key: string; firstAt: number; members: BroadcastSeen[] }[] = [];
  const latest = new Map<string, (typeof groups)[number]>();
  for (const seen of all) {
    const group = latest.get(seen.key);
    if (group && seen.firstAt - group.firstAt <= windowMs) {
      group.members.push(seen);
      continue;
    }
    const fresh = { key: seen.key, firstAt: seen.firstAt, members: [seen] };
    groups.push(fresh);
    latest.set(seen.key, fresh);
  }
  const latencies: number[] = [];
  for (const group of groups) {
    for (const member of group.members) {
      const shift = member.firstAt - group.firstAt;
      for (const latency of member.latencies) latencies.push(latency + shift);
    }
  }
  return { latencies, broadcasts: groups.length };
}

/** The identity of a waiting-room progress message. */
export const progressKey = (m: { nowServing: number; waiting: number; opened: boolean }) =>
  `${m.opened ? 1 : 0}:${m.nowServing}:${m.waiting}`;
