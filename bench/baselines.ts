import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createDb, createRedis, databaseUrl, makeEnvelope, prepared, sql } from '@tiketi/kit';
import type { DB } from '@tiketi/reservation/db';
import { v7 as uuidv7 } from 'uuid';
// The very repository the reservation service runs: the baseline can never drift from the service's SQL.
import { reservationRepository } from '../services/reservation/src/db/reservation.repository.ts';
import { jsonClient } from './lib/http.ts';
import { closedLoop, type LoadResult, ratePerSecond } from './lib/load.ts';
import { shuffle } from './lib/stats.ts';

/** GET / on a bare Fastify app in its own process: the ceiling of any Fastify route on this machine. */
export async function fastifyHello(options: {
  concurrency: number;
  durationMs: number;
}): Promise<LoadResult> {
  const child = fork(new URL('./hello-server.ts', import.meta.url).pathname, [], { stdio: 'inherit' });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m) => resolve((m as { port: number }).port));
      child.once('exit', (code) => reject(new Error(`hello server exited (${code})`)));
    });
    const client = jsonClient(`http://127.0.0.1:${port}`, options.concurrency);
    try {
      // A short warm-up, so the JIT has seen the route before it is measured.
      await closedLoop({
        concurrency: options.concurrency,
        durationMs: 1000,
        once: () => client.status('/'),
      });
      return await closedLoop({ ...options, once: () => client.status('/') });
    } finally {
      await client.close();
    }
  } finally {
    child.kill('SIGTERM');
  }
}

/**
 * The hold transaction of the reservation service straight against PostgreSQL: begin with the per-user
 * advisory lock, the one statement that holds the seats and writes the `reservation.created` outbox row,
 * commit — on a synthetic on-sale event in
 * the service's own database, through the service's repository code, with as many connections as the
 * service's pool. Seats are taken in a random order, each once: every transaction holds a seat.
 */
export async function rawPostgresHold(options: {
  env: NodeJS.ProcessEnv;
  seats: number;
  concurrency: number;
  durationMs: number;
}): Promise<LoadResult & { holdsPerSecond: number }> {
  const server = options.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const db = createDb<DB>({
    url: databaseUrl(server, `reservations_db${options.env.DATABASE_SUFFIX ?? ''}`),
    poolSize: options.concurrency,
    applicationName: 'bench-baseline',
  });
  try {
    const eventId = uuidv7();
    await sql`insert into events (id, title, status, starts_at, sale_opens_at, sale_closes_at, per_user_limit,
        waiting_room, price_tiers, source_at)
      values (${eventId}, 'bench baseline', 'on_sale', now() + interval '30 days', now() - interval '1 hour',
        now() + interval '29 days', 10, '{"enabled": false}', '[]', now())`.execute(db);
    const { rows } = await sql<{
      id: string;
    }>`insert into seats (id, event_id, label, section, row_name, number,
        x, y, tier_id, price)
      select gen_random_uuid(), ${eventId}, 'B-' || n, 'B', (n / 25)::text, n % 25 + 1, n, 0,
        ${randomUUID()}, 121000
      from generate_series(1, ${options.seats}) n
      returning id`.execute(db);
    const seatIds = shuffle(rows.map((r) => r.id));
    const reservations = reservationRepository(db);
    // Long enough that the service's expiry sweep leaves these holds alone during the run.
    const expiresAt = new Date(Date.now() + 3_600_000);
    let next = 0;
    const once = async () => {
      const seatId = seatIds[next++];
      if (!seatId) return 'no-seat';
      const userId = uuidv7();
      const reservationId = uuidv7();
      const result = await reservations.hold({
        reservationId,
        userId,
        eventId,
        seatIds: [seatId],
        expiresAt,
        idempotencyKey: null,
        perUserLimit: 10,
        // The service's default: the count of holds let end unpaid is part of every hold's cost.
        unpaid: { limit: 2, windowMs: 3_600_000 },
        announcement: makeEnvelope('reservation.created', {
          reservationId,
          eventId,
          userId,
          seatIds: [seatId],
          amount: 0,
          expiresAt: expiresAt.toISOString(),
        }),
      });
      return result.created ? 'held' : 'taken';
    };
    const result = await closedLoop({ ...options, once, until: () => next >= seatIds.length });
    return { ...result, holdsPerSecond: ratePerSecond(result, 'held') };
  } finally {
    await db.destroy();
  }
}

/**
 * The physical limit of a hold that PostgreSQL guards: one conditional
 * `UPDATE … SET status = 'held' WHERE id = $1 AND status = 'available'` per seat on a scratch table (a
 * primary key and nothing else), autocommitted, with as many connections as the service's pool. A hold
 * can cost no less than this on the machine, so the platform's figure is read as a share of it.
 */
export async function bareConditionalUpdate(options: {
  env: NodeJS.ProcessEnv;
  seats: number;
  concurrency: number;
  durationMs: number;
}): Promise<LoadResult & { holdsPerSecond: number }> {
  const server = options.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const db = createDb<DB>({
    url: databaseUrl(server, `reservations_db${options.env.DATABASE_SUFFIX ?? ''}`),
    poolSize: options.concurrency,
    applicationName: 'bench-baseline',
  });
  const table = sql.raw(`bench_scratch_seats_${process.pid}`);
  try {
    await sql`create table if not exists ${table} (id int primary key, status text not null,
      holder uuid)`.execute(db);
    await sql`insert into ${table} (id, status) select n, 'available' from generate_series(1, ${options.seats}) n`.execute(
      db,
    );
    const seatIds = shuffle(Array.from({ length: options.seats }, (_, i) => i + 1));
    let next = 0;
    const once = async () => {
      const seatId = seatIds[next++];
      if (seatId === undefined) return 'no-seat';
      const { numAffectedRows } = await prepared(
        'bench_bare_hold',
        sql`update ${table} set status = 'held', holder = ${randomUUID()}
          where id = ${seatId} and status = 'available'`,
      ).execute(db);
      return numAffectedRows === 1n ? 'held' : 'taken';
    };
    const result = await closedLoop({ ...options, once, until: () => next >= seatIds.length });
    return { ...result, holdsPerSecond: ratePerSecond(result, 'held') };
  } finally {
    await sql`drop table if exists ${table}`.execute(db).catch(() => undefined);
    await db.destroy();
  }
}

/** `SET lock:seat:{id} <owner> NX EX 300` on fresh keys: the Redis fast path's own ceiling. */
export async function redisSetNx(options: {
  env: NodeJS.ProcessEnv;
  concurrency: number;
  durationMs: number;
}): Promise<LoadResult> {
  const redis = createRedis(
    options.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    `${options.env.REDIS_PREFIX ?? 'bench:'}baseline:`,
  );
  let n = 0;
  try {
    return await closedLoop({
      ...options,
      once: async () =>
        (await redis.set(`lock:seat:${n++}`, 'owner', 'EX', 300, 'NX')) === 'OK' ? 'set' : 'taken',
    });
  } finally {
    redis.disconnect();
  }
}
