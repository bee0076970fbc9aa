import { databaseUrl } from '@tiketi/kit';
import pg from 'pg';
import type { CpuUse } from '../lib/cpu.ts';
import type { JsonClient } from '../lib/http.ts';
import { closedLoop, type LoadResult, ratePerSecond } from '../lib/load.ts';
import { type Account, createEvent } from '../lib/setup.ts';
import { round, shuffle } from '../lib/stats.ts';

export type HoldsResult = LoadResult & {
  eventId: string;
  seats: number;
  holdsPerSecond: number;
  conflictRate: number;
  seatsHeldByAnswers: number;
  /** CPU time of each process over the timed run, in all and per successful hold. */
  cpu: CpuUse[];
  /**
   * Bytes of WAL the PostgreSQL server wrote over the timed run per successful hold (every database: the
   * hold, the relay marking rows sent, the consumers' inboxes): unlike CPU time, the same on a busy machine.
   */
  walBytesPerHold: number;
  check: {
    seatsHeldInDatabase: number;
    seatsActiveTwice: number;
    seatsWithoutActiveLink: number;
    seatsAnsweredTwice: number;
  };
};

/**
 * Scenario 2: many signed-in users (1,000 by default, the load of issue #22) hold seats through the
 * gateway on a fresh event without a waiting room, until the venue or the fans' per-person limit of 10 is
 * used up (1,000 fans: 10,000 seats, a run of about 9 s at 1,100 holds/s).
 * Most requests ask for 1–2 seats nobody has tried yet (a fan picking free seats on the map); `hotShare`
 * of them fight over a front row of `hotSeats`. Afterwards PostgreSQL is asked whether any seat
 * is held twice, and every 201 is checked against the others.
 */
export async function seatHolds(
  api: JsonClient,
  admin: Account,
  users: Account[],
  options: {
    env: NodeJS.ProcessEnv;
    seats: number;
    concurrency: number;
    durationMs: number;
    hotSeats: number;
    hotShare: number;
    /** Starts counting CPU time; what it answers is called with the successful holds after the run. */
    meter?: () => Promise<(holds: number) => CpuUse[]>;
  },
): Promise<HoldsResult> {
  // The highest per-person limit an event may have: the run ends early once every fan holds that many.
  const perUserLimit = 10;
  const event = await createEvent(api, admin, {
    title: 'Bench seat holds',
    seats: options.seats,
    perUserLimit,
  });
  const hot = event.seatIds.slice(0, options.hotSeats);
  const fresh = shuffle(event.seatIds.slice(options.hotSeats));
  const held = new Map<string, string>();
  const taken = new Array<number>(users.length).fill(0);
  /** Seats the fans may still ask for, counting the requests under way as granted. */
  let room = users.length * perUserLimit;
  let seatsAnsweredTwice = 0;
  let nextSeat = 0;
  let nextUser = 0;

  function pickUser(want: number): number | undefined {
    for (let tries = 0; tries < users.length; tries++) {
      const i = nextUser++ % users.length;
      if ((taken[i] ?? 0) + want <= perUserLimit) return i;
    }
    return undefined;
  }

  // Runs without a wait up to its request, so `room` is checked and taken in one step of the event loop.
  const once = async () => {
    let seatIds: string[];
    let u: number | undefined;
    if (Math.random() < options.hotShare) {
      seatIds = [hot[Math.floor(Math.random() * hot.length)]!];
      u = pickUser(1);
    } else {
      // Two seats for three fans in ten, when a fan has room for two.
      if (Math.random() >= 0.7) u = pickUser(2);
      const want = u === undefined ? 1 : 2;
      if (u === undefined) u = pickUser(1);
      seatIds = fresh.slice(nextSeat, nextSeat + want);
      nextSeat += want;
    }
    if (seatIds.length === 0 || u === undefined) return 'no-seat';
    const user = users[u]!;
    taken[u] = (taken[u] ?? 0) + seatIds.length;
    room -= seatIds.length;
    const answer = await api.post<{ reservationId: string }>(
      '/api/reservations',
      { eventId: event.id, seatIds },
      user.token,
    );
    if (answer.status === 201) {
      for (const id of seatIds) {
        if (held.has(id)) seatsAnsweredTwice++;
        held.set(id, answer.body.reservationId);
      }
    } else {
      taken[u] = (taken[u] ?? 0) - seatIds.length;
      room += seatIds.length;
    }
    return answer.status;
  };
  const walBefore = await walPosition(options.env);
  const counted = await options.meter?.();
  const result = await closedLoop({
    ...options,
    once,
    until: () => nextSeat >= fresh.length || room < 1,
  });
  const cpu = counted?.(result.outcomes['201'] ?? 0) ?? [];
  const walBytes = (await walPosition(options.env)) - walBefore;
  const check = await databaseCheck(options.env, event.id);
  const conflicts = result.outcomes['409'] ?? 0;
  return {
    ...result,
    eventId: event.id,
    seats: options.seats,
    holdsPerSecond: ratePerSecond(result, '201'),
    conflictRate: round(conflicts / Math.max(1, result.requests), 3),
    seatsHeldByAnswers: held.size,
    cpu,
    walBytesPerHold: Math.round(walBytes / Math.max(1, result.outcomes['201'] ?? 0)),
    check: { ...check, seatsAnsweredTwice },
  };
}

function reservationsClient(env: NodeJS.ProcessEnv): pg.Client {
  const server = env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  return new pg.Client({
    connectionString: databaseUrl(server, `reservations_db${env.DATABASE_SUFFIX ?? ''}`),
  });
}

/** The server's WAL write position, in bytes. */
async function walPosition(env: NodeJS.ProcessEnv): Promise<number> {
  const client = reservationsClient(env);
  await client.connect();
  try {
    const { rows } = await client.query<{ at: string }>(
      `select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text as at`,
    );
    return Number(rows[0]?.at ?? 0);
  } finally {
    await client.end();
  }
}

/** What PostgreSQL says about the event's seats after the run. */
async function databaseCheck(env: NodeJS.ProcessEnv, eventId: string) {
  const client = reservationsClient(env);
  await client.connect();
  try {
    const { rows } = await client.query<{ held: number; twice: number; orphans: number }>(
      `select
         (select count(*)::int from seats where event_id = $1 and status <> 'available') as held,
         (select count(*)::int from (
            select rs.seat_id from reservation_seats rs join seats s on s.id = rs.seat_id
            where s.event_id = $1 and rs.active group by rs.seat_id having count(*) > 1) t) as twice,
         (select count(*)::int from seats s where s.event_id = $1 and s.status <> 'available'
            and not exists (select 1 from reservation_seats rs
              where rs.seat_id = s.id and rs.reservation_id = s.reservation_id and rs.active)) as orphans`,
      [eventId],
    );
    const r = rows[0]!;
    return { seatsHeldInDatabase: r.held, seatsActiveTwice: r.twice, seatsWithoutActiveLink: r.orphans };
  } finally {
    await client.end();
  }
}
