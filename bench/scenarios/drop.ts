import { performance } from 'node:perf_hooks';
import type { QueueAdmitted, QueueProgress, QueueStatus } from '@tiketi/contracts';
import { databaseUrl } from '@tiketi/kit';
import pg from 'pg';
import { io } from 'socket.io-client';
import { broadcastClock, progressKey } from '../lib/broadcasts.ts';
import type { CpuUse } from '../lib/cpu.ts';
import type { JsonClient } from '../lib/http.ts';
import { type Account, challengeHeader, createEvent, type SeatMap } from '../lib/setup.ts';
import { increment, type Latency, quantile, round, sleep, summarise } from '../lib/stats.ts';

export type DropOptions = {
  env: NodeJS.ProcessEnv;
  gatewayUrl: string;
  /** The Toss sandbox's control API (its "Pay" button). */
  tossUrl: string;
  seats: number;
  perUserLimit: number;
  admissionRatePerMinute: number;
  maxActiveShoppers: number;
  timeoutMs: number;
  /** Starts counting every process's CPU time; its answer divides it by the tickets sold. */
  meter?: () => Promise<(tickets: number) => CpuUse[]>;
};

export type DropResult = {
  eventId: string;
  fans: number;
  seats: number;
  settings: { admissionRatePerMinute: number; maxActiveShoppers: number; perUserLimit: number };
  soldOut: boolean;
  timeToSellOutS: number | null;
  purchases: number;
  ticketsBought: number;
  purchasesPerSecond: number;
  ticketsPerMinute: number;
  admitted: number;
  leftWithoutTicket: number;
  /** From admission to confirmed payment, per buyer. */
  purchaseMs: Latency;
  /** Each step's own latency. */
  stepMs: Record<string, Latency>;
  positionUpdate: { broadcasts: number; deliveries: number; latencyMs: Latency };
  waitEstimate: WaitEstimate;
  /** 409 and 429 by step: the answers a drop is expected to give. */
  expected: Record<string, number>;
  /** Everything else that went wrong, by step and status or failure. */
  errors: Record<string, number>;
  invariants: Invariants;
  /** Each process's CPU time from the first fan's start to the sell-out, per ticket sold. */
  cpu?: CpuUse[];
};

/**
 * How far the wait estimate a fan was given on joining (`etaSeconds` of the join answer, the server's
 * `estimateWait`) was from the wait that followed, for every fan who joined as a waiter and was admitted.
 */
export type WaitEstimate = {
  /** Fans who were told an estimate and then admitted. */
  compared: number;
  /** Fans told an estimate who were not admitted before the sell-out (nothing to compare). */
  notAdmitted: number;
  /** Estimates past the bound ("more than N hours"). */
  beyondLimit: number;
  /** |estimated − real| in seconds. */
  errorS: { p50: number; p90: number; max: number };
  realWaitS: { p50: number; p90: number; max: number };
  estimatedS: { p50: number; p90: number; max: number };
};

type Invariants = {
  soldSeats: number;
  heldSeats: number;
  tickets: number;
  doubleSold: number;
  confirmedReservations: number;
  completedPayments: number;
  paidSeats: number;
  paidWithoutTicket: number;
  refundedPayments: number;
  ok: boolean;
};

/**
 * Scenario 3, the drop: every fan joins the waiting room at once, watches it over Socket.IO through the
 * gateway, and once admitted loads the seat map, holds seats (trying others on 409), opens the Toss
 * checkout, pays in the Toss sandbox and confirms — until the event is sold out.
 */
export async function ticketDrop(
  api: JsonClient,
  admin: Account,
  fans: Account[],
  options: DropOptions,
): Promise<DropResult> {
  const event = await createEvent(api, admin, {
    title: 'Bench ticket drop',
    seats: options.seats,
    perUserLimit: options.perUserLimit,
    waitingRoom: {
      enabled: true,
      admissionRatePerMinute: options.admissionRatePerMinute,
      maxActiveShoppers: options.maxActiveShoppers,
    },
  });
  const toss = new URL(options.tossUrl);
  const clock = broadcastClock();
  const expected: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const steps: Record<string, number[]> = {};
  const purchaseMs: number[] = [];
  let soldOut = false;
  let soldOutAt: number | undefined;
  let ticketsBought = 0;
  let purchases = 0;
  let admitted = 0;
  const sockets = new Set<{ disconnect(): void }>();
  const estimates: { estimatedS: number; beyondLimit: boolean; realS: number | null }[] = [];

  let counted: ((tickets: number) => CpuUse[]) | undefined;
  let cpu: CpuUse[] | undefined;
  const markSoldOut = () => {
    if (soldOutAt === undefined) {
      soldOutAt = performance.now();
      cpu = counted?.(ticketsBought);
    }
    soldOut = true;
  };
  const outcome = (step: string, status: number) => {
    if (status === 409 || status === 429) increment(expected, `${step}:${status}`);
    else increment(errors, `${step}:${status}`);
  };
  async function timed<T>(step: string, call: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await call();
    } finally {
      const list = steps[step] ?? [];
      list.push(performance.now() - t0);
      steps[step] = list;
    }
  }

  function waitForAdmission(fan: Account): Promise<string | undefined> {
    return new Promise((resolve) => {
      const socket = io(options.gatewayUrl, {
        path: '/queue',
        transports: ['websocket'],
        auth: { token: fan.token, eventId: event.id },
        forceNew: true,
      });
      sockets.add(socket);
      let settled = false;
      const finish = (token: string | undefined) => {
        if (settled) return;
        settled = true;
        clearInterval(watch);
        sockets.delete(socket);
        socket.disconnect();
        resolve(token);
      };
      const watch = setInterval(() => {
        if (soldOut) finish(undefined);
      }, 500);
      socket.on('status', (s: QueueStatus) => {
        if (s.state === 'admitted' && s.admissionToken) finish(s.admissionToken);
      });
      socket.on('admitted', (m: QueueAdmitted) => finish(m.admissionToken));
      socket.on('progress', (m: QueueProgress) => clock.arrived(progressKey(m)));
      socket.on('connect_error', (error: Error & { data?: { code?: string } }) => {
        increment(errors, `socket:${error.data?.code ?? error.message}`);
        // A refused handshake is final; a network failure is retried by the client itself.
        if (error.data) finish(undefined);
      });
    });
  }

  async function seatMap(): Promise<SeatMap> {
    const answer = await timed('seat map', () => api.get<SeatMap>(`/api/seats/event/${event.id}`));
    if (answer.status !== 200) throw new Error(`seat map answered ${answer.status}`);
    return answer.body;
  }

  /** Returns the seats bought (0 when the fan left without). */
  async function shop(fan: Account, admission: string): Promise<number> {
    let map = await seatMap();
    const refused = new Set<string>();
    for (let attempt = 0; attempt < 60 && !soldOut; attempt++) {
      const free = map.seats.filter((s) => s.status === 'available' && !refused.has(s.id));
      if (free.length === 0) {
        if (map.counts.available === 0 && map.counts.held === 0) {
          markSoldOut();
          return 0;
        }
        // Seats may come back from holds that end unpaid: look again in a moment.
        await sleep(2000);
        map = await seatMap();
        refused.clear();
        continue;
      }
      const want = Math.min(free.length, 1 + Math.floor(Math.random() * options.perUserLimit));
      const start = Math.floor(Math.random() * free.length);
      const seatIds = Array.from({ length: want }, (_, k) => free[(start + k) % free.length]!.id);
      const hold = await timed('hold', () =>
        api.post<{ reservationId: string; amount: number }>(
          '/api/reservations',
          { eventId: event.id, seatIds },
          fan.token,
          { 'x-queue-token': admission },
        ),
      );
      if (hold.status !== 201) {
        outcome('hold', hold.status);
        if (hold.status !== 409) return 0;
        for (const id of seatIds) refused.add(id);
        if (attempt % 3 === 2) map = await seatMap();
        continue;
      }
      return (await pay(fan, hold.body)) ? seatIds.length : 0;
    }
    return 0;
  }

  async function pay(fan: Account, hold: { reservationId: string; amount: number }): Promise<boolean> {
    const request = await timed('payment request', () =>
      api.post<{ paymentUrl: string; orderId: string; amount: number }>(
        '/api/payments/toss/request',
        {
          reservationId: hold.reservationId,
          amount: hold.amount,
          customerInfo: { name: 'Bench Fan', email: fan.email },
        },
        fan.token,
      ),
    );
    if (request.status !== 201) {
      outcome('payment request', request.status);
      return false;
    }
    const paymentKey = new URL(request.body.paymentUrl).pathname.split('/').pop() ?? '';
    const approved = await timed('toss checkout', async () => {
      const res = await fetch(
        new URL(`/sandbox/payments/${encodeURIComponent(paymentKey)}/authorize`, toss),
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ outcome: 'approve' }),
        },
      );
      return {
        status: res.status,
        body: (await res.json()) as { paymentKey: string; orderId: string; amount: number },
      };
    });
    if (approved.status !== 200) {
      outcome('toss checkout', approved.status);
      return false;
    }
    for (let attempt = 0; attempt < 20; attempt++) {
      const confirm = await timed('payment confirm', () =>
        api.post('/api/payments/toss/confirm', approved.body, fan.token),
      );
      if (confirm.status === 200) return true;
      if (confirm.status !== 503) {
        outcome('payment confirm', confirm.status);
        return false;
      }
      increment(expected, 'payment confirm:503 pending');
      await sleep(500);
    }
    increment(errors, 'payment confirm:still pending');
    return false;
  }

  counted = await options.meter?.();
  const t0 = performance.now();
  async function fanJourney(fan: Account): Promise<void> {
    try {
      const challenge = await challengeHeader(api, 'join', event.id);
      const joined = await timed('queue join', () =>
        api.post<QueueStatus>(`/api/queue/${event.id}/join`, {}, fan.token, challenge),
      );
      if (joined.status !== 200 && joined.status !== 201) {
        outcome('queue join', joined.status);
        return;
      }
      const joinedAt = performance.now();
      const told: (typeof estimates)[number] | undefined =
        joined.body.state === 'waiting' && joined.body.etaSeconds !== null
          ? { estimatedS: joined.body.etaSeconds, beyondLimit: joined.body.etaBeyondLimit, realS: null }
          : undefined;
      if (told) estimates.push(told);
      const admission =
        joined.body.state === 'admitted' && joined.body.admissionToken
          ? joined.body.admissionToken
          : await waitForAdmission(fan);
      if (told && admission) told.realS = (performance.now() - joinedAt) / 1000;
      if (!admission || soldOut) return;
      admitted++;
      const since = performance.now();
      const bought = await shop(fan, admission);
      if (bought > 0) {
        purchases++;
        ticketsBought += bought;
        purchaseMs.push(performance.now() - since);
        if (ticketsBought >= options.seats) markSoldOut();
      }
    } catch (error) {
      increment(errors, `exception:${(error as Error).message.slice(0, 80)}`);
    }
  }

  const all = Promise.all(fans.map(fanJourney));
  const timeout = sleep(options.timeoutMs).then(() => {
    soldOut = true;
  });
  await Promise.race([all, timeout]);
  soldOut = true;
  for (const s of sockets) s.disconnect();
  await Promise.race([all, sleep(15_000)]);
  const elapsed = ((soldOutAt ?? performance.now()) - t0) / 1000;
  cpu ??= counted?.(ticketsBought);
  // The aftermath (tickets, outbox, consumers) settles within moments of the last confirm.
  await sleep(3000);
  const invariants = await checkInvariants(options.env, event.id, options.seats);
  const pushes = clock.take();
  return {
    eventId: event.id,
    fans: fans.length,
    seats: options.seats,
    settings: {
      admissionRatePerMinute: options.admissionRatePerMinute,
      maxActiveShoppers: options.maxActiveShoppers,
      perUserLimit: options.perUserLimit,
    },
    soldOut: soldOutAt !== undefined,
    timeToSellOutS: soldOutAt === undefined ? null : round(elapsed, 2),
    purchases,
    ticketsBought,
    purchasesPerSecond: round(purchases / elapsed, 1),
    ticketsPerMinute: round((ticketsBought / elapsed) * 60, 0),
    admitted,
    leftWithoutTicket: fans.length - purchases,
    purchaseMs: summarise(purchaseMs),
    stepMs: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, summarise(v)])),
    positionUpdate: {
      broadcasts: pushes.broadcasts,
      deliveries: pushes.latencies.length,
      latencyMs: summarise(pushes.latencies),
    },
    waitEstimate: estimateError(estimates),
    expected,
    errors,
    invariants,
    ...(cpu?.length ? { cpu } : {}),
  };
}

function estimateError(
  estimates: { estimatedS: number; beyondLimit: boolean; realS: number | null }[],
): WaitEstimate {
  const admitted = estimates.filter((e) => e.realS !== null) as { estimatedS: number; realS: number }[];
  const spread = (values: number[]) => {
    const sorted = Float64Array.from(values).sort();
    return {
      p50: round(quantile(sorted, 0.5), 1),
      p90: round(quantile(sorted, 0.9), 1),
      max: round(sorted[sorted.length - 1] ?? 0, 1),
    };
  };
  return {
    compared: admitted.length,
    notAdmitted: estimates.length - admitted.length,
    beyondLimit: estimates.filter((e) => e.beyondLimit).length,
    errorS: spread(admitted.map((e) => Math.abs(e.estimatedS - e.realS))),
    realWaitS: spread(admitted.map((e) => e.realS)),
    estimatedS: spread(admitted.map((e) => e.estimatedS)),
  };
}

async function query<T extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** The drop's books, read from the reservation and payment databases after the last purchase. */
async function checkInvariants(
  env: NodeJS.ProcessEnv,
  eventId: string,
  capacity: number,
): Promise<Invariants> {
  const server = env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const suffix = env.DATABASE_SUFFIX ?? '';
  const reservationsDb = databaseUrl(server, `reservations_db${suffix}`);
  const paymentsDb = databaseUrl(server, `payments_db${suffix}`);
  const [r] = await query<{
    sold: number;
    held: number;
    tickets: number;
    double_sold: number;
    confirmed: number;
  }>(
    reservationsDb,
    `select
       (select count(*)::int from seats where event_id = $1 and status = 'sold') as sold,
       (select count(*)::int from seats where event_id = $1 and status = 'held') as held,
       (select count(*)::int from tickets where event_id = $1 and status <> 'VOIDED') as tickets,
       (select count(*)::int from (select seat_id from tickets where event_id = $1 and status <> 'VOIDED'
          group by seat_id having count(*) > 1) t) as double_sold,
       (select count(*)::int from reservations where event_id = $1 and status = 'CONFIRMED') as confirmed`,
    [eventId],
  );
  const completed = await query<{ reservation_id: string; seats: number }>(
    paymentsDb,
    `select p.reservation_id, (select count(*)::int from payment_seats s where s.payment_id = p.id) as seats
     from payments p where p.event_id = $1 and p.status = 'COMPLETED'`,
    [eventId],
  );
  const [refunds] = await query<{ n: number }>(
    paymentsDb,
    `select count(*)::int as n from payments where event_id = $1 and status in ('REFUNDED', 'PARTIALLY_REFUNDED')`,
    [eventId],
  );
  const ticketed = await query<{ reservation_id: string }>(
    reservationsDb,
    `select distinct reservation_id from tickets where event_id = $1 and status <> 'VOIDED'`,
    [eventId],
  );
  const withTickets = new Set(ticketed.map((t) => t.reservation_id));
  const paidWithoutTicket = completed.filter((p) => !withTickets.has(p.reservation_id)).length;
  const paidSeats = completed.reduce((sum, p) => sum + p.seats, 0);
  const inv = {
    soldSeats: r!.sold,
    heldSeats: r!.held,
    tickets: r!.tickets,
    doubleSold: r!.double_sold,
    confirmedReservations: r!.confirmed,
    completedPayments: completed.length,
    paidSeats,
    paidWithoutTicket,
    refundedPayments: refunds!.n,
  };
  return {
    ...inv,
    // The books must balance whether or not the event sold out (that is reported on its own).
    ok:
      inv.soldSeats <= capacity &&
      inv.doubleSold === 0 &&
      inv.paidWithoutTicket === 0 &&
      inv.completedPayments === inv.confirmedReservations &&
      inv.paidSeats === inv.tickets,
  };
}
