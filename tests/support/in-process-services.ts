import type { AddressInfo } from 'node:net';
import { defaultSettings as analyticsDefaults, buildApp as buildAnalytics } from '@tiketi/analytics/app';
import { startConsumers as startAnalyticsConsumers } from '@tiketi/analytics/consumers';
import type { DB as AnalyticsDB } from '@tiketi/analytics/db';
import { CHALLENGE_MAX_NUMBER } from '@tiketi/contracts';
import { buildApp as buildEvent } from '@tiketi/event/app';
import type { DB as EventDB } from '@tiketi/event/db';
import { buildApp as buildGateway } from '@tiketi/gateway/app';
import {
  type App,
  Bus,
  challengeConfigShape,
  createAuth,
  type InfraConfig,
  loadConfig,
  OutboxRelay,
  opsListenerOf,
} from '@tiketi/kit';
import { DEVELOPMENT_ENV, openTestInfra, testConfig, testLogger } from '@tiketi/kit/testing';
import {
  buildApp as buildNotification,
  createDirectoryClient,
  createNotifier,
  smtpMailer,
  startConsumers as startNotificationConsumers,
} from '@tiketi/notification/app';
import type { DB as NotificationDB } from '@tiketi/notification/db';
import { buildApp as buildPayment } from '@tiketi/payment/app';
import { configShape as paymentConfigShape } from '@tiketi/payment/config';
import type { DB as PaymentDB } from '@tiketi/payment/db';
import { buildApp as buildQueue } from '@tiketi/queue/app';
import { buildApp as buildReservation } from '@tiketi/reservation/app';
import { configShape as reservationConfigShape } from '@tiketi/reservation/config';
import type { DB as ReservationDB } from '@tiketi/reservation/db';
import { startMailSandbox } from '@tiketi/sandbox-mail';
import { startTossSandbox } from '@tiketi/sandbox-toss';
import { startTestUserService, type TestUserService } from '@tiketi/user/testing';

export type InProcessOptions = {
  /** Names the test databases, Redis prefixes and exchange. */
  label: string;
  /** Connections per service's pool: several services share the test server with other test files. */
  poolSize?: number;
  /**
   * Also the notification service with the mail sandbox, and the user service's outbox relay (as its
   * main.ts runs it) so that `user.registered` reaches notification.
   */
  notification?: boolean;
};

type Closer = () => Promise<void>;
type Notifications = { app: App; url: string; mail: Awaited<ReturnType<typeof startMailSandbox>> };

const migrationsOf = (service: string) =>
  new URL(`../../services/${service}/migrations`, import.meta.url).pathname;

/** A service's test infrastructure: its own migrated database and the bus, and Redis when it uses it. */
const serviceInfra = <DB, R extends boolean>(service: string, redis: R, config: InfraConfig) =>
  openTestInfra<{ service: string; database: { name: string; migrations: string }; redis: R; bus: true }, DB>(
    { service, database: { name: 'unused', migrations: migrationsOf(service) }, redis, bus: true },
    config,
  );

async function listen(app: App): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/**
 * The real services in this process, each built from its dependencies on its own test database and Redis
 * prefix, sharing one test exchange so that events flow between them as in production, with the Toss
 * sandbox and a gateway in front. Tokens come from the user service; every service verifies them with its
 * keys. Consumers and relays start last, once every service is built, as the launcher starts them.
 */
export async function startServicesInProcess<O extends InProcessOptions>(options: O) {
  const closers: Closer[] = [];
  try {
    return await build(options, closers);
  } catch (error) {
    // What was built before the failure must not outlive the test file.
    await closeAll(closers).catch(() => undefined);
    throw error;
  }
}

/** Newest first: consumers stop before the exchange they read goes away. */
async function closeAll(closers: Closer[]): Promise<void> {
  for (const close of closers.splice(0).reverse()) await close();
}

async function build<O extends InProcessOptions>(options: O, closers: Closer[]) {
  const base = {
    ...testConfig(options.label),
    ...(options.poolSize ? { DATABASE_POOL_SIZE: options.poolSize } : {}),
  };
  const own = (service: string) => ({
    ...base,
    DATABASE_NAME: `${base.DATABASE_NAME}_${service}`,
    REDIS_PREFIX: `${base.REDIS_PREFIX}${service}:`,
  });
  const logger = testLogger();

  const users = await startTestUserService(`${options.label}-user`);
  closers.push(() => users.close());
  const userUrl = await listen(users.app);
  const { jwks } = users;

  const eventInfra = await serviceInfra<EventDB, true>('event', true, own('event'));
  closers.push(() => eventInfra.cleanup());
  const event = await buildEvent({
    db: eventInfra.db,
    logger,
    readiness: eventInfra.readiness,
    redis: eventInfra.redis,
    auth: createAuth({ jwks }),
  });
  closers.push(() => event.close());
  const eventUrl = await listen(event);

  const reservationConfig = {
    ...loadConfig(reservationConfigShape, DEVELOPMENT_ENV),
    ...own('reservation'),
    EVENT_SERVICE_URL: eventUrl,
    USER_SERVICE_URL: userUrl,
    SALE_INFO_CACHE_MS: 0,
  };
  const reservationInfra = await serviceInfra<ReservationDB, true>('reservation', true, reservationConfig);
  closers.push(() => reservationInfra.cleanup());
  const reservation = await buildReservation({
    config: reservationConfig,
    db: reservationInfra.db,
    redis: reservationInfra.redis,
    bus: reservationInfra.bus,
    logger,
    readiness: reservationInfra.readiness,
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
    ...loadConfig(paymentConfigShape, DEVELOPMENT_ENV),
    ...own('payment'),
    TOSS_API_URL: toss.url,
    RESERVATION_SERVICE_URL: reservationUrl,
    RECONCILE_INTERVAL_MS: 0,
  };
  const paymentInfra = await serviceInfra<PaymentDB, false>('payment', false, paymentConfig);
  closers.push(() => paymentInfra.cleanup());
  const payment = await buildPayment({
    config: paymentConfig,
    db: paymentInfra.db,
    bus: paymentInfra.bus,
    logger,
    readiness: paymentInfra.readiness,
    jwks,
  });
  closers.push(async () => {
    await payment.app.close();
    await payment.stop();
  });
  const paymentUrl = await listen(payment.app);

  const analyticsInfra = await serviceInfra<AnalyticsDB, true>('analytics', true, own('analytics'));
  closers.push(() => analyticsInfra.cleanup());
  const analytics = await buildAnalytics({
    db: analyticsInfra.db,
    redis: analyticsInfra.redis,
    logger,
    readiness: analyticsInfra.readiness,
    jwks,
    settings: { ...analyticsDefaults, eventServiceUrl: eventUrl },
  });
  closers.push(async () => {
    await analytics.app.close();
    await analytics.buffer.stop();
  });
  const analyticsUrl = await listen(analytics.app);

  let notifications: Awaited<ReturnType<typeof startNotifications>> | undefined;
  if (options.notification) {
    notifications = await startNotifications({
      base,
      own,
      logger,
      users,
      userUrl,
      eventUrl,
      reservationUrl,
      closers,
    });
  }

  const queueConfig = own('queue');
  const queueInfra = await openTestInfra({ service: 'queue', redis: true }, queueConfig);
  closers.push(() => queueInfra.cleanup());
  const queue = await buildQueue({
    config: {
      REDIS_PREFIX: queueConfig.REDIS_PREFIX,
      QUEUE_TOKEN_SECRET: queueConfig.QUEUE_TOKEN_SECRET,
      EVENT_SERVICE_URL: eventUrl,
      RESERVATION_SERVICE_URL: reservationUrl,
      INTERNAL_TOKEN: base.INTERNAL_TOKEN,
      SEATS_LEFT_REFRESH_MS: 5_000,
      ADMISSION_TTL_SECONDS: 600,
      ADMISSION_TICK_MS: 250,
      ADMISSIONS_PER_TICK_MAX: 500,
      ABANDON_GRACE_MS: 60_000,
      ADMITTED_IDLE_MS: 180_000,
      PRESENCE_REFRESH_MS: 10_000,
      PROGRESS_HEARTBEAT_MS: 2000,
      PROGRESS_MIN_GAP_MS: 1000,
      PROGRESS_PUSHES_PER_SECOND: 20_000,
      ...loadConfig(challengeConfigShape, DEVELOPMENT_ENV),
      // The lowest difficulty: these tests solve a challenge for every sign-up and join.
      CHALLENGE_MAX_NUMBER: CHALLENGE_MAX_NUMBER.min,
      CHALLENGE_SPIKE_JOINS_PER_SECOND: 0,
      CHALLENGE_SPIKE_MAX_FACTOR: 1,
      SOCKETS_PER_USER: 5,
      SOCKETS_PER_ADDRESS: 200,
      SOCKET_MESSAGES_PER_SECOND: 5,
      SOCKET_MESSAGE_STRIKES: 20,
      SOCKET_SESSION_CHECK_MS: 2_000,
    },
    logger,
    auth: { jwks, internalToken: base.INTERNAL_TOKEN },
    redis: queueInfra.redis,
    readiness: queueInfra.readiness,
  });
  closers.push(async () => {
    await queue.app.close();
    await queue.stop();
  });
  const queueUrl = await listen(queue.app);

  const urls = {
    user: userUrl,
    event: eventUrl,
    reservation: reservationUrl,
    payment: paymentUrl,
    queue: queueUrl,
    analytics: analyticsUrl,
  };
  const gateway = await buildGateway({ logger, jwks, upstreams: urls, upstreamTimeoutMs: 10_000 });
  closers.push(() => gateway.close());
  const gatewayUrl = await listen(gateway);
  const gatewayOps = opsListenerOf(gateway);
  if (!gatewayOps) throw new Error('the gateway has no operations listener');
  closers.push(() => gatewayOps.app.close());
  const gatewayOpsUrl = await listen(gatewayOps.app);

  for (const bus of [
    ...(notifications?.buses ?? []),
    eventInfra.bus,
    reservationInfra.bus,
    paymentInfra.bus,
    analyticsInfra.bus,
  ]) {
    await bus.waitForConnect();
  }
  await notifications?.startConsumers();
  await startAnalyticsConsumers({
    bus: analyticsInfra.bus,
    db: analyticsInfra.db,
    counters: analytics.counters,
  });
  await reservationInfra.start();
  await reservation.start();
  await paymentInfra.start();
  await payment.start();
  await notifications?.startRelay();
  await eventInfra.start();

  return {
    users,
    event,
    reservation,
    payment,
    toss,
    analytics,
    queue,
    gateway,
    /** The notification service and its mail sandbox, when asked for. */
    notification: (notifications && {
      app: notifications.app,
      url: notifications.url,
      mail: notifications.mail,
    }) as O['notification'] extends true ? Notifications : undefined,
    urls: { ...urls, gateway: gatewayUrl },
    /**
     * The registries each service's infrastructure counts in (the outbox relay, the database pool): in
     * production /metrics shows them with the server's own, here the apps are built without them.
     */
    infraMetrics: [eventInfra, reservationInfra, paymentInfra, analyticsInfra, queueInfra].map(
      (i) => i.metrics,
    ),
    /** Where the gateway's health, readiness, metrics and docs answer (never its public port). */
    gatewayOpsUrl,
    jwks,
    internalToken: base.INTERNAL_TOKEN,
    /** Closes `close` with the rest, before what was started here (an app built on top of these). */
    onClose(close: () => Promise<void>) {
      closers.push(close);
    },
    /** Stops everything, newest first. */
    close: () => closeAll(closers),
  };
}

/** Notification with what it needs besides the core services; its consumers and relay start later. */
async function startNotifications(deps: {
  base: ReturnType<typeof testConfig>;
  own: (service: string) => ReturnType<typeof testConfig>;
  logger: ReturnType<typeof testLogger>;
  users: TestUserService;
  userUrl: string;
  eventUrl: string;
  reservationUrl: string;
  closers: Closer[];
}) {
  const { base, closers, logger } = deps;
  const userBus = new Bus({ url: base.AMQP_URL, exchange: base.AMQP_EXCHANGE, service: 'user', logger });
  const userRelay = new OutboxRelay({ db: deps.users.db, bus: userBus, logger });
  closers.push(async () => {
    await userRelay.stop();
    await userBus.close();
  });
  const mail = await startMailSandbox({ smtpPort: 0, httpPort: 0 });
  closers.push(() => mail.close());
  const infra = await serviceInfra<NotificationDB, false>('notification', false, deps.own('notification'));
  closers.push(() => infra.cleanup());
  const mailer = smtpMailer(mail.smtpUrl, { email: 'no-reply@tiketi.dev', name: 'Tiketi' });
  closers.push(() => mailer.close());
  const notifier = createNotifier({
    db: infra.db,
    mailer,
    directory: createDirectoryClient({
      userServiceUrl: deps.userUrl,
      eventServiceUrl: deps.eventUrl,
      reservationServiceUrl: deps.reservationUrl,
      internalToken: base.INTERNAL_TOKEN,
    }),
    webUrl: 'http://web.test',
    logger,
  });
  const app = await buildNotification({
    db: infra.db,
    notifier,
    logger,
    readiness: infra.readiness,
    auth: { jwks: deps.users.jwks, internalToken: base.INTERNAL_TOKEN },
  });
  closers.push(() => app.close());
  return {
    app,
    url: await listen(app),
    mail,
    buses: [userBus, infra.bus],
    startConsumers: () => startNotificationConsumers({ db: infra.db, bus: infra.bus, notifier }),
    startRelay: () => userRelay.start(),
  };
}
