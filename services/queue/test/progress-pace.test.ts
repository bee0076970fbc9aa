import { describe, expect, it } from 'vitest';
import { joinQueue, publishedEvent, queueSuite } from './support.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const AHEAD = 300;

/**
 * A line of AHEAD + 1 fans, joined on the first instance: the last fan watches from the second instance
 * (the progress broadcasts it gets, with when), the second fan from the first (their own admission).
 */
async function watchedLine(suite: ReturnType<typeof queueSuite>, admissionRatePerMinute: number) {
  const { instances, user, watch, announce } = suite;
  const sale = await announce(publishedEvent({ maxActiveShoppers: 10_000, admissionRatePerMinute }));
  const fans = await Promise.all(Array.from({ length: AHEAD + 1 }, user));
  for (const fan of fans) await joinQueue(instances[0]!.url, fan.token, sale.eventId);
  const last = watch(instances[1]!.url, fans[AHEAD]!, sale.eventId);
  const front = watch(instances[0]!.url, fans[1]!, sale.eventId);
  await Promise.all([last.connected(), front.connected()]);
  const seen: number[] = [];
  last.socket.on('progress', () => seen.push(Date.now()));
  /** The gaps between the broadcasts the last fan got. */
  const gaps = () => seen.slice(1).map((at, i) => at - (seen[i] ?? 0));
  return { last, front, seen, gaps };
}

describe('progress broadcasts of a moving line', () => {
  // Two instances each step every 50 ms, and the line moves on nearly every step: without a bound, every
  // waiter would get dozens of broadcasts a second. The heartbeat is set long so that it plays no part.
  const suite = queueSuite(
    'queue-progress-pace',
    { PROGRESS_HEARTBEAT_MS: 10_000, PROGRESS_MIN_GAP_MS: 1_000, SOCKETS_PER_ADDRESS: 10_000 },
    { instances: 2 },
  );

  it('go out at most once a gap, whichever instance steps, while admissions are told at once', {
    timeout: 60_000,
  }, async () => {
    // Twenty admissions a second: the fans ahead take about ten seconds to get in.
    const { last, front, seen, gaps } = await watchedLine(suite, 1_200);
    await sleep(2_500);
    const positions = [...last.positions];

    // The line moved all along (each broadcast shows the fan nearer the front)…
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(positions.at(-1)).toBeLessThan(positions[0] ?? 0);
    // …but its progress went out no more than once a second.
    expect(seen.length).toBeLessThanOrEqual(3);
    for (const gap of gaps()) expect(gap).toBeGreaterThanOrEqual(900);
    // The fan near the front was told of their own admission when it happened, not at a broadcast.
    expect(front.isAdmitted).toBe(true);
  });
});

describe('progress broadcasts of a long line', () => {
  // A broadcast is one message to every waiter: past PROGRESS_PUSHES_PER_SECOND waiters a second, the
  // room is told less often (here 300 waiters at 100 messages a second: once every 3 s), heartbeat included.
  const suite = queueSuite(
    'queue-progress-crowd',
    {
      PROGRESS_HEARTBEAT_MS: 1_000,
      PROGRESS_MIN_GAP_MS: 1_000,
      PROGRESS_PUSHES_PER_SECOND: 100,
      SOCKETS_PER_ADDRESS: 10_000,
    },
    { instances: 2 },
  );

  it('go out less often as the line grows, while admissions are still told at once', {
    timeout: 60_000,
  }, async () => {
    // One admission a second: the line stays near 300 long, and moves all along.
    const { last, front, seen, gaps } = await watchedLine(suite, 60);
    await sleep(7_000);

    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.length).toBeLessThanOrEqual(3);
    for (const gap of gaps()) expect(gap).toBeGreaterThanOrEqual(2_800);
    expect(last.positions.at(-1)).toBeLessThan(last.positions[0] ?? 0);
    expect(front.isAdmitted).toBe(true);
  });
});
