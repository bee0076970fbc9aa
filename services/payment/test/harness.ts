import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  type Envelope,
  type EventInput,
  type PaymentDto,
  STANDING_ROW,
  standingPlaceLabel,
} from '@tiketi/contracts';
import { createDb, databaseUrl, loadConfig, makeEnvelope, sql } from '@tiketi/kit';
import {
  closeOnce,
  createTestTokens,
  DEVELOPMENT_ENV,
  openTestInfra,
  eventually as pollUntil,
  testConfig,
  testLogger,
} from '@tiketi/kit/testing';
import { buildApp as buildReservationApp } from '@tiketi/reservation/app';
import { configShape as reservationShape } from '@tiketi/reservation/config';
import type { DB as ReservationDB } from '@tiketi/reservation/db';
import { startTossSandbox } from '@tiketi/sandbox-toss';
import { createTossClient } from '@tiketi/toss';
import { expect } from 'vitest';
import { buildApp, type PaymentApp } from '../src/app.ts';
import { configShape, type PaymentConfig } from '../src/config.ts';
import type { DB } from '../src/db/schema.ts';

const paymentMigrations = fileURLToPath(new URL('../migrations', import.meta.url));
const reservationMigrations = fileURLToPath(
  new URL('../migrations', import.meta.resolve('@tiketi/reservation/app')),
);

/**
 * A test file's own platform slice: the real reservation service (its database, Redis prefix, sweeper and
 * consumers), the Toss sandbox in-process, and the payment service on its own database, all on one
 * exchange of their own so events flow between them as in production.
 */
export async function openPaymentHarness(label: string, overrides: Partial<PaymentConfig> = {}) {
  const base = testConfig(label);
  const logger = testLogger();
  const tokens = await createTestTokens();

  const reservationConfig = {
    ...loadConfig(reservationShape, DEVELOPMENT_ENV),
    ...base,
    DATABASE_NAME: `${base.DATABASE_NAME}_resv`,
    EVENT_SERVICE_URL: 'http://127.0.0.1:9',
    EVENT_SERVICE_TIMEOUT_MS: 300,
    SALE_INFO_CACHE_MS: 0,
    SWEEP_INTERVAL_MS: 200,
  };
  const reservationInfra = await openTestInfra<
    {
      service: 'reservation';
      database: { name: string; migrations: string };
      redis: true;
      bus: true;
    },
    ReservationDB
  >(
    {
      service: 'reservation',
      database: { name: 'unused', migrations: reservationMigrations },
      redis: true,
      bus: true,
    },
    reservationConfig,
  );
  const reservation = await buildReservationApp({
    config: reservationConfig,
    db: reservationInfra.db,
    redis: reservationInfra.redis,
    bus: reservationInfra.bus,
    logger,
    jwks: tokens.jwks,
  });
  await reservation.app.listen({ port: 0, host: '127.0.0.1' });
  const reservationUrl = `http://127.0.0.1:${(reservation.app.server.address() as AddressInfo).port}`;

  const sandbox = await startTossSandbox({ port: 0, webhookRetryDelaysMs: [50, 100, 200] });

  const config: PaymentConfig = {
    ...loadConfig(configShape, DEVELOPMENT_ENV),
    ...base,
    TOSS_API_URL: sandbox.url,
    RESERVATION_SERVICE_URL: reservationUrl,
    // Other test files load the same two cores; a slow answer must not read as an outage here.
    RESERVATION_SERVICE_TIMEOUT_MS: 10_000,
    // Tests run reconciliation passes themselves.
    RECONCILE_INTERVAL_MS: 0,
    RECONCILE_AFTER_MS: 0,
    CANCELLED_EVENT_REFUND_INTERVAL_MS: 0,
    ...overrides,
  };
  const infra = await openTestInfra<
    { service: 'payment'; database: { name: string; migrations: string }; bus: true },
    DB
  >({ service: 'payment', database: { name: 'unused', migrations: paymentMigrations }, bus: true }, config);

  const instances: { close: () => Promise<void> }[] = [];

  /** One payment service instance with its own pool, as a separate process would have. */
  async function instance(
    options: { config?: Partial<PaymentConfig>; tossRetries?: number; poolSize?: number } = {},
  ) {
    const db = createDb<DB>({
      url: databaseUrl(config.DATABASE_URL, config.DATABASE_NAME),
      poolSize: options.poolSize ?? 10,
    });
    const settings = { ...config, ...options.config };
    const service = await buildApp({
      config: settings,
      db,
      logger,
      jwks: tokens.jwks,
      ...(options.tossRetries === undefined
        ? {}
        : {
            toss: createTossClient({
              secretKey: settings.TOSS_SECRET_KEY,
              baseUrl: settings.TOSS_API_URL,
              retries: options.tossRetries,
            }),
          }),
    });
    const handle = { ...service, db, close: closeOnce(service, () => db.destroy()) };
    instances.push(handle);
    return handle;
  }

  const payment: PaymentApp = await buildApp({
    config,
    db: infra.db,
    bus: infra.bus,
    logger,
    jwks: tokens.jwks,
  });
  await payment.app.listen({ port: 0, host: '127.0.0.1' });
  const paymentUrl = `http://127.0.0.1:${(payment.app.server.address() as AddressInfo).port}`;

  await reservationInfra.start();
  await infra.start();
  await reservation.start();
  await payment.start();

  async function user(role: 'user' | 'admin' = 'user') {
    const id = randomUUID();
    return { id, token: await tokens.sign({ id, role, email: `${id}@example.com` }) };
  }

  /**
   * An on-sale event, published on the bus and awaited in the reservation and payment services. With
   * `floorPlaces`, it also has a standing area, Floor, of that many places (held by count).
   */
  async function publishEvent(
    seatCount: number,
    startsInMs = 30 * 86_400_000,
    price = 55_000,
    floorPlaces = 0,
  ) {
    const tier = randomUUID();
    const now = Date.now();
    const data: EventInput<'event.published'> = {
      eventId: randomUUID(),
      status: 'on_sale',
      title: 'Payment test concert',
      artistId: randomUUID(),
      venueId: randomUUID(),
      startsAt: new Date(now + startsInMs).toISOString(),
      saleOpensAt: new Date(now - 3_600_000).toISOString(),
      saleClosesAt: new Date(now + Math.min(startsInMs, 86_400_000)).toISOString(),
      perUserLimit: 6,
      waitingRoom: { enabled: false, admissionRatePerMinute: 100, maxActiveShoppers: 100 },
      priceTiers: [{ id: tier, name: 'R', price }],
      seats: Array.from({ length: seatCount }, (_, i) => ({
        id: randomUUID(),
        label: `B-${i + 1}`,
        section: 'B',
        row: '1',
        number: i + 1,
        x: i * 10,
        y: 0,
        tierId: tier,
      })),
    };
    if (floorPlaces > 0) {
      data.seats.push(
        ...Array.from({ length: floorPlaces }, (_, i) => ({
          id: randomUUID(),
          label: standingPlaceLabel('Floor', i + 1),
          section: 'Floor',
          row: STANDING_ROW,
          number: i + 1,
          x: i * 10,
          y: 100,
          tierId: tier,
        })),
      );
      data.standingAreas = [{ section: 'Floor', capacity: floorPlaces, entryOrder: 'arrival' }];
    }
    await infra.bus.publish(makeEnvelope('event.published', data));
    await eventually(async () => {
      const seats = await reservationInfra.db
        .selectFrom('seats')
        .select('id')
        .where('eventId', '=', data.eventId)
        .execute();
      expect(seats).toHaveLength(seatCount + floorPlaces);
      const known = await infra.db
        .selectFrom('eventSchedule')
        .select('eventId')
        .where('eventId', '=', data.eventId)
        .executeTakeFirst();
      expect(known).toBeDefined();
    });
    return { eventId: data.eventId, seatIds: data.seats.map((s) => s.id) };
  }

  /** The event service cancelling an event: answers the envelope, so a test can deliver it again. */
  async function cancelEvent(eventId: string, reason = 'The artist is ill') {
    const envelope = makeEnvelope('event.cancelled', { eventId, reason });
    await infra.bus.publish(envelope);
    return envelope;
  }

  /** Publishes an envelope as it is, as a broker redelivery or an outbox relay replay would. */
  const redeliver = (envelope: Envelope) => infra.bus.publish(envelope);

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  /** Places of standing areas, held by count: the reservation service picks which. */
  type Standing = { section: string; quantity: number }[];

  async function hold(token: string, eventId: string, seatIds: string[], standing: Standing = []) {
    const res = await reservation.app.inject({
      method: 'POST',
      url: '/api/reservations',
      headers: bearer(token),
      payload: { eventId, seatIds, ...(standing.length ? { standing } : {}) },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { reservationId: string; amount: number; expiresAt: string };
  }

  function request(token: string, reservationId: string, amount: number, app = payment.app) {
    return app.inject({
      method: 'POST',
      url: '/api/payments/toss/request',
      headers: bearer(token),
      payload: {
        reservationId,
        amount,
        customerInfo: { name: '김민지', email: 'minji@example.com', phone: '010-1234-5678' },
      },
    });
  }

  /** What the customer does at Toss's checkout page: Toss redirects to successUrl with these. */
  function payAtToss(paymentUrl: string, outcome: 'approve' | 'reject' = 'approve') {
    const paymentKey = new URL(paymentUrl).pathname.split('/').pop() ?? '';
    return sandbox.authorize(paymentKey, outcome);
  }

  function confirm(
    token: string,
    body: { paymentKey: string; orderId: string; amount: number },
    app = payment.app,
  ) {
    return app.inject({
      method: 'POST',
      url: '/api/payments/toss/confirm',
      headers: bearer(token),
      payload: body,
    });
  }

  /** Holds seats, opens the checkout and pays at Toss: ready to confirm. */
  async function checkout(token: string, eventId: string, seatIds: string[], standing: Standing = []) {
    const held = await hold(token, eventId, seatIds, standing);
    const res = await request(token, held.reservationId, held.amount);
    expect(res.statusCode, res.body).toBe(201);
    const opened = res.json() as { paymentId: string; orderId: string; paymentUrl: string; amount: number };
    const paid = payAtToss(opened.paymentUrl);
    return {
      reservationId: held.reservationId,
      paymentId: opened.paymentId,
      confirmBody: { paymentKey: paid.paymentKey, orderId: paid.orderId, amount: paid.amount },
    };
  }

  /** Checkout, payment at Toss and confirm: a COMPLETED payment with its tickets. */
  async function paid(token: string, eventId: string, seatIds: string[], standing: Standing = []) {
    const ready = await checkout(token, eventId, seatIds, standing);
    const res = await confirm(token, ready.confirmBody);
    expect(res.statusCode, res.body).toBe(200);
    return ready;
  }

  async function getPayment(token: string, id: string) {
    const res = await payment.app.inject({ url: `/api/payments/${id}`, headers: bearer(token) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as PaymentDto;
  }

  async function reservationRow(id: string) {
    return reservationInfra.db
      .selectFrom('reservations')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  }

  async function ticketsOf(reservationId: string) {
    return reservationInfra.db
      .selectFrom('tickets')
      .select(['id', 'seatId', 'status'])
      .where('reservationId', '=', reservationId)
      .execute();
  }

  async function seatStatus(eventId: string, seatId: string) {
    const res = await reservation.app.inject({ url: `/api/seats/event/${eventId}` });
    return (res.json() as { seats: { id: string; status: string }[] }).seats.find((s) => s.id === seatId)
      ?.status;
  }

  /** Events the payment service wrote for one payment, in order. */
  async function outbox(paymentId: string) {
    const { rows } = await sql<{ type: string; envelope: { id: string; data: Record<string, unknown> } }>`
      select type, envelope from outbox where envelope->'data'->>'paymentId' = ${paymentId}
      order by created_at, id`.execute(infra.db);
    return rows.map((r) => ({ id: r.envelope.id, type: r.type, data: r.envelope.data }));
  }

  /** Resolves once the service owning `db` has handled this event (its inbox has it). */
  async function handledIn(db: typeof infra.db | typeof reservationInfra.db, eventId: string) {
    await eventually(async () => {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from inbox
        where event_id = ${eventId}`.execute(db);
      expect(rows[0]?.n).toBe(1);
    });
  }
  const handledByReservation = (eventId: string) => handledIn(reservationInfra.db, eventId);
  const handledByPayment = (eventId: string) => handledIn(infra.db, eventId);

  /** What Toss has for an order: every payment made for it, with its money. */
  function atToss(orderId: string) {
    return sandbox.payments().filter((p) => p.orderId === orderId);
  }

  return {
    config,
    tokens,
    sandbox,
    reservation,
    reservationDb: reservationInfra.db,
    payment,
    paymentUrl,
    db: infra.db,
    instance,
    user,
    publishEvent,
    bearer,
    hold,
    request,
    payAtToss,
    confirm,
    checkout,
    paid,
    cancelEvent,
    redeliver,
    getPayment,
    reservationRow,
    ticketsOf,
    seatStatus,
    outbox,
    handledByReservation,
    handledByPayment,
    atToss,
    /** Every step runs even when one fails, so a failed test file still leaves nothing behind. */
    async cleanup() {
      const steps: (() => Promise<unknown>)[] = [
        ...instances.map((i) => () => i.close()),
        () => payment.app.close(),
        () => payment.stop(),
        () => reservation.app.close(),
        () => reservation.stop(),
        () => sandbox.close(),
        // Both services publish on one exchange: neither may publish while the other's clean-up deletes it
        // (the broker closes that channel, whose set-up then runs again against queues being deleted).
        () => infra.relay.stop(),
        () => reservationInfra.relay.stop(),
        () => infra.cleanup(),
        () => reservationInfra.cleanup(),
      ];
      const failures: unknown[] = [];
      for (const step of steps) await step().catch((error: unknown) => failures.push(error));
      if (failures.length) throw new AggregateError(failures, 'cleanup failed');
    },
  };
}

export type PaymentHarness = Awaited<ReturnType<typeof openPaymentHarness>>;

/** Polls until `check` passes or the deadline: for what settles asynchronously (events, sweeps). */
export const eventually = <T>(check: () => Promise<T>, timeoutMs = 10_000) => pollUntil(check, timeoutMs);
