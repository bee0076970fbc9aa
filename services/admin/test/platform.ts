import type { AddressInfo } from 'node:net';
import { defaultSettings as analyticsDefaults, buildApp as buildAnalytics } from '@tiketi/analytics/app';
import { startConsumers as startAnalyticsConsumers } from '@tiketi/analytics/consumers';
import type { DB as AnalyticsDB } from '@tiketi/analytics/db';
import type { AdminUpstream } from '@tiketi/contracts';
import { buildApp as buildEvent } from '@tiketi/event/app';
import type { DB as EventDB } from '@tiketi/event/db';
import { type App, createAuth, loadConfig } from '@tiketi/kit';
import { openTestInfra, testConfig, testLogger } from '@tiketi/kit/testing';
import { buildApp as buildPayment } from '@tiketi/payment/app';
import { configShape as paymentConfigShape } from '@tiketi/payment/config';
import type { DB as PaymentDB } from '@tiketi/payment/db';
import { buildApp as buildQueue } from '@tiketi/queue/app';
import { buildApp as buildReservation } from '@tiketi/reservation/app';
import { configShape as reservationConfigShape } from '@tiketi/reservation/config';
import type { DB as ReservationDB } from '@tiketi/reservation/db';
import { startTossSandbox } from '@tiketi/sandbox-toss';
import { startTestUserService } from '@tiketi/user/testing';
import { buildApp as buildAdmin } from '../src/app.ts';

/** Nothing listens on port 9 (discard): an upstream that is down. */
export const DOWN = 'http://127.0.0.1:9';

const migrationsOf = (service: string) => new URL(`../../${service}/migrations`, import.meta.url).pathname;

async function listen(app: App): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/**
 * The real user, event, reservation, payment, analytics and queue services in this process (with the Toss
 * sandbox), each on its own test database and Redis prefix, sharing one test exchange so that events flow
 * between them as in production. Tokens come from the user service; every service verifies them with its
 * keys.
 */
export async function startPlatform(label: string) {
  const base = testConfig(label);
  const own = (service: string) => ({
    ...base,
    DATABASE_NAME: `${base.DATABASE_NAME}_${service}`,
    REDIS_PREFIX: `${base.REDIS_PREFIX}${service}:`,
  });
  const closers: (() => Promise<void>)[] = [];

  const users = await startTestUserService(`${label}-user`);
  closers.push(() => users.close());
  const userUrl = await listen(users.app);
  const jwks = users.jwks;

  const eventConfig = own('event');
  const eventInfra = await openTestInfra<
    { service: 'event'; database: { name: string; migrations: string }; redis: true; bus: true },
    EventDB
  >(
    {
      service: 'event',
      database: { name: 'unused', migrations: migrationsOf('event') },
      redis: true,
      bus: true,
    },
    eventConfig,
  );
  closers.push(() => eventInfra.cleanup());
  const event = await buildEvent({
    db: eventInfra.db,
    logger: testLogger(),
    readiness: eventInfra.readiness,
    redis: eventInfra.redis,
    auth: createAuth({ jwks }),
  });
  closers.push(() => event.close());
  const eventUrl = await listen(event);

  const reservationConfig = {
    ...loadConfig(reservationConfigShape, {}),
    ...own('reservation'),
    EVENT_SERVICE_URL: eventUrl,
    SALE_INFO_CACHE_MS: 0,
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
      database: { name: 'unused', migrations: migrationsOf('reservation') },
      redis: true,
      bus: true,
    },
    reservationConfig,
  );
  closers.push(() => reservationInfra.cleanup());
  const reservation = await buildReservation({
    config: reservationConfig,
    db: reservationInfra.db,
    redis: reservationInfra.redis,
    bus: reservationInfra.bus,
    logger: testLogger(),
    jwks,
  });
  closers.push(async () => {
    await reservation.app.close();
    await reservation.stop();
  });
  const reservationUrl = await listen(reservation.app);

  const toss = await startTossSandbox({ port: 0 });
  closers.push(() => toss.close());
  const paymentConfig = {
    ...loadConfig(paymentConfigShape, {}),
    ...own('payment'),
    TOSS_API_URL: toss.url,
    RESERVATION_SERVICE_URL: reservationUrl,
    RECONCILE_INTERVAL_MS: 0,
  };
  const paymentInfra = await openTestInfra<
    { service: 'payment'; database: { name: string; migrations: string }; bus: true },
    PaymentDB
  >(
    { service: 'payment', database: { name: 'unused', migrations: migrationsOf('payment') }, bus: true },
    paymentConfig,
  );
  closers.push(() => paymentInfra.cleanup());
  const payment = await buildPayment({
    config: paymentConfig,
    db: paymentInfra.db,
    bus: paymentInfra.bus,
    logger: testLogger(),
    jwks,
  });
  closers.push(async () => {
    await payment.app.close();
    await payment.stop();
  });
  const paymentUrl = await listen(payment.app);

  const analyticsConfig = own('analytics');
  const analyticsInfra = await openTestInfra<
    { service: 'analytics'; database: { name: string; migrations: string }; redis: true; bus: true },
    AnalyticsDB
  >(
    {
      service: 'analytics',
      database: { name: 'unused', migrations: migrationsOf('analytics') },
      redis: true,
      bus: true,
    },
    analyticsConfig,
  );
  closers.push(() => analyticsInfra.cleanup());
  const analytics = await buildAnalytics({
    db: analyticsInfra.db,
    redis: analyticsInfra.redis,
    logger: testLogger(),
    readiness: analyticsInfra.readiness,
    jwks,
    settings: { ...analyticsDefaults, eventServiceUrl: eventUrl },
  });
  closers.push(async () => {
    await analytics.app.close();
    await analytics.buffer.stop();
  });
  const analyticsUrl = await listen(analytics.app);

  const queueConfig = own('queue');
  const queueInfra = await openTestInfra({ service: 'queue', redis: true }, queueConfig);
  closers.push(() => queueInfra.cleanup());
  const queue = await buildQueue({
    config: {
      REDIS_PREFIX: queueConfig.REDIS_PREFIX,
      QUEUE_TOKEN_SECRET: queueConfig.QUEUE_TOKEN_SECRET,
      EVENT_SERVICE_URL: eventUrl,
      ADMISSION_TTL_SECONDS: 600,
      ADMISSION_TICK_MS: 250,
      ADMISSIONS_PER_TICK_MAX: 500,
      ABANDON_GRACE_MS: 60_000,
      PRESENCE_REFRESH_MS: 10_000,
      PROGRESS_HEARTBEAT_MS: 2000,
    },
    logger: testLogger(),
    auth: { jwks, internalToken: base.INTERNAL_TOKEN },
    redis: queueInfra.redis,
    readiness: queueInfra.readiness,
  });
  closers.push(async () => {
    await queue.app.close();
    await queue.stop();
  });
  const queueUrl = await listen(queue.app);

  // Consumers and relays last, once every service is built.
  await Promise.all([eventInfra.bus.waitForConnect(), reservationInfra.bus.waitForConnect()]);
  await analyticsInfra.bus.waitForConnect();
  await paymentInfra.bus.waitForConnect();
  await reservationInfra.start();
  await reservation.start();
  await paymentInfra.start();
  await payment.start();
  await startAnalyticsConsumers({
    bus: analyticsInfra.bus,
    db: analyticsInfra.db,
    counters: analytics.counters,
  });
  await eventInfra.start();

  const urls: Record<AdminUpstream, string> = {
    user: userUrl,
    event: eventUrl,
    reservation: reservationUrl,
    analytics: analyticsUrl,
    queue: queueUrl,
    payment: paymentUrl,
  };

  /** An admin service over these upstreams; `overrides` points some elsewhere (a closed port). */
  async function admin(overrides: Partial<Record<AdminUpstream, string>> = {}) {
    const app = await buildAdmin({
      logger: testLogger(),
      jwks,
      internalToken: base.INTERNAL_TOKEN,
      upstreams: { ...urls, ...overrides },
      timeoutMs: 15_000,
      retries: 0,
    });
    closers.push(() => app.close());
    return app;
  }

  return {
    users,
    event,
    reservation,
    payment,
    toss,
    analytics,
    queue,
    urls,
    admin,
    internalToken: base.INTERNAL_TOKEN,
    /** Stops everything, newest first (consumers before the exchange they read goes away). */
    async close() {
      for (const close of closers.reverse()) await close();
    },
  };
}

export type Platform = Awaited<ReturnType<typeof startPlatform>>;
