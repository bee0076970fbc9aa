import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { defaultSettings as analyticsDefaults, buildApp as buildAnalytics } from '@tiketi/analytics/app';
import { startConsumers as startAnalyticsConsumers } from '@tiketi/analytics/consumers';
import type { DB as AnalyticsDB } from '@tiketi/analytics/db';
import { buildApp as buildEvent } from '@tiketi/event/app';
import type { DB as EventDB } from '@tiketi/event/db';
import { buildApp as buildGateway } from '@tiketi/gateway/app';
import { type App, addSpanProcessor, Bus, createAuth, loadConfig, OutboxRelay, SpanKind } from '@tiketi/kit';
import { openTestInfra, testConfig, testLogger } from '@tiketi/kit/testing';
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
import { startTestUserService } from '@tiketi/user/testing';
import { afterAll, describe, expect, it, vi } from 'vitest';

/**
 * Issue 10's last check: one purchase through the running services is one trace, from the gateway over
 * every HTTP hop and every RabbitMQ hop to analytics and the email, and every service's /metrics carries
 * the RED metrics and the business metrics deploy/monitoring queries. The real services run in this
 * process, each on its own test database and Redis prefix, sharing one test exchange.
 */
const exporter = new InMemorySpanExporter();
addSpanProcessor(new SimpleSpanProcessor({ exporter }));

const migrationsOf = (service: string) =>
  new URL(`../../services/${service}/migrations`, import.meta.url).pathname;
const monitoringFile = (path: string) =>
  readFileSync(new URL(`../../deploy/${path}`, import.meta.url), 'utf8');
const DAY = 86_400_000;

async function listen(app: App): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

describe('obs: one purchase through the running services', async () => {
  // Small pools: eight services share the test server's connections with every other test file.
  const base = { ...testConfig('obs-trace'), DATABASE_POOL_SIZE: 3 };
  const own = (service: string) => ({
    ...base,
    DATABASE_NAME: `${base.DATABASE_NAME}_${service}`,
    REDIS_PREFIX: `${base.REDIS_PREFIX}${service}:`,
  });
  const logger = testLogger();
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  // user: the test service, plus the relay its main.ts would run, so `user.registered` reaches the others.
  const users = await startTestUserService('obs-trace-user');
  closers.push(() => users.close());
  const userUrl = await listen(users.app);
  const { jwks } = users;
  const userBus = new Bus({ url: base.AMQP_URL, exchange: base.AMQP_EXCHANGE, service: 'user', logger });
  const userRelay = new OutboxRelay({ db: users.db, bus: userBus, logger });
  closers.push(async () => {
    await userRelay.stop();
    await userBus.close();
  });

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
    own('event'),
  );
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
    ...loadConfig(reservationConfigShape, {}),
    ...own('reservation'),
    EVENT_SERVICE_URL: eventUrl,
    SALE_INFO_CACHE_MS: 0,
  };
  const reservationInfra = await openTestInfra<
    { service: 'reservation'; database: { name: string; migrations: string }; redis: true; bus: true },
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
    logger,
    readiness: paymentInfra.readiness,
    jwks,
  });
  closers.push(async () => {
    await payment.app.close();
    await payment.stop();
  });
  const paymentUrl = await listen(payment.app);

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
    own('analytics'),
  );
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

  const mail = await startMailSandbox({ smtpPort: 0, httpPort: 0 });
  closers.push(() => mail.close());
  const notificationInfra = await openTestInfra<
    { service: 'notification'; database: { name: string; migrations: string }; bus: true },
    NotificationDB
  >(
    {
      service: 'notification',
      database: { name: 'unused', migrations: migrationsOf('notification') },
      bus: true,
    },
    own('notification'),
  );
  closers.push(() => notificationInfra.cleanup());
  const mailer = smtpMailer(mail.smtpUrl, { email: 'no-reply@tiketi.dev', name: 'Tiketi' });
  closers.push(() => mailer.close());
  const notifier = createNotifier({
    mailer,
    directory: createDirectoryClient({
      userServiceUrl: userUrl,
      eventServiceUrl: eventUrl,
      internalToken: base.INTERNAL_TOKEN,
    }),
    webUrl: 'http://web.test',
    logger,
  });
  const notification = await buildNotification({
    db: notificationInfra.db,
    logger,
    readiness: notificationInfra.readiness,
    auth: { jwks, internalToken: base.INTERNAL_TOKEN },
  });
  closers.push(() => notification.close());
  const notificationUrl = await listen(notification);

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

  const gateway = await buildGateway({
    logger,
    jwks,
    upstreams: {
      user: userUrl,
      event: eventUrl,
      reservation: reservationUrl,
      payment: paymentUrl,
      queue: queueUrl,
      analytics: analyticsUrl,
    },
    upstreamTimeoutMs: 10_000,
  });
  closers.push(() => gateway.close());
  const gatewayUrl = await listen(gateway);

  // Consumers and relays last, once every service is built (as the launcher starts them).
  for (const bus of [
    userBus,
    eventInfra.bus,
    reservationInfra.bus,
    paymentInfra.bus,
    analyticsInfra.bus,
    notificationInfra.bus,
  ]) {
    await bus.waitForConnect();
  }
  await startNotificationConsumers({ db: notificationInfra.db, bus: notificationInfra.bus, notifier });
  await startAnalyticsConsumers({
    bus: analyticsInfra.bus,
    db: analyticsInfra.db,
    counters: analytics.counters,
  });
  await reservationInfra.start();
  await reservation.start();
  await paymentInfra.start();
  await payment.start();
  await userRelay.start();
  await eventInfra.start();

  const services = {
    gateway: gatewayUrl,
    user: userUrl,
    event: eventUrl,
    reservation: reservationUrl,
    payment: paymentUrl,
    queue: queueUrl,
    analytics: analyticsUrl,
    notification: notificationUrl,
  };

  async function call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${gatewayUrl}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    expect(res.status, `${method} ${path}: ${text}`).toBeLessThan(300);
    return JSON.parse(text) as T;
  }
  type Session = { user: { id: string }; accessToken: string };

  // A catalogue to buy from, made by an operator: one on-sale event without a waiting room.
  await call('POST', '/api/auth/register', {
    email: 'operator@obs.test',
    password: 'correct-horse-1',
    name: 'Operator',
  });
  await users.db
    .updateTable('users')
    .set({ role: 'admin' })
    .where('email', '=', 'operator@obs.test')
    .execute();
  const operator = await call<Session>('POST', '/api/auth/login', {
    email: 'operator@obs.test',
    password: 'correct-horse-1',
  });
  const asOperator = { authorization: `Bearer ${operator.accessToken}` };
  const artist = await call<{ id: string }>(
    'POST',
    '/api/artists',
    { name: 'Trace Artist', genre: 'K-pop' },
    asOperator,
  );
  const venue = await call<{ id: string }>(
    'POST',
    '/api/venues',
    {
      name: 'Trace Hall',
      city: 'Seoul',
      sections: [{ name: 'A', rows: [{ label: '1', seatCount: 4, tierKey: 'R' }] }],
    },
    asOperator,
  );
  const sale = await call<{ id: string }>(
    'POST',
    '/api/events',
    {
      artistId: artist.id,
      venueId: venue.id,
      title: 'Trace Night',
      startsAt: new Date(Date.now() + 30 * DAY).toISOString(),
      saleOpensAt: new Date(Date.now() - DAY).toISOString(),
      saleClosesAt: new Date(Date.now() + 29 * DAY).toISOString(),
      perUserLimit: 4,
      priceTiers: [{ key: 'R', name: 'R seat', price: 77_000 }],
      waitingRoom: { enabled: false, admissionRatePerMinute: 600, maxActiveShoppers: 50 },
    },
    asOperator,
  );
  await call('POST', `/api/events/${sale.id}/publish`, undefined, asOperator);
  const fan = await call<Session>('POST', '/api/auth/register', {
    email: 'fan@obs.test',
    password: 'correct-horse-1',
    name: 'Trace Fan',
  });
  const asFan = { authorization: `Bearer ${fan.accessToken}` };
  // The reservation service learns the seats from `event.published`, notification the fan from `user.registered`.
  const seatIds = await vi.waitFor(
    async () => {
      const map = await call<{ seats: { id: string }[] }>('GET', `/api/seats/event/${sale.id}`);
      expect(map.seats).toHaveLength(4);
      return map.seats.slice(0, 2).map((s) => s.id);
    },
    { timeout: 15_000, interval: 100 },
  );

  /**
   * The fan's browser starts one trace for the checkout and sends it on each request, as the OpenTelemetry
   * browser SDK does; everything the purchase sets off must hang from it.
   */
  const traceId = randomBytes(16).toString('hex');
  const rootSpanId = randomBytes(8).toString('hex');
  const traced = { ...asFan, traceparent: `00-${traceId}-${rootSpanId}-01` };
  const hold = await call<{ reservationId: string; amount: number }>(
    'POST',
    '/api/reservations',
    { eventId: sale.id, seatIds },
    traced,
  );
  const opened = await call<{ paymentUrl: string }>(
    'POST',
    '/api/payments/toss/request',
    {
      reservationId: hold.reservationId,
      amount: hold.amount,
      customerInfo: { name: 'Trace Fan', email: 'fan@obs.test' },
    },
    traced,
  );
  const paid = toss.authorize(new URL(opened.paymentUrl).pathname.split('/').pop() ?? '', 'approve');
  await call(
    'POST',
    '/api/payments/toss/confirm',
    { paymentKey: paid.paymentKey, orderId: paid.orderId, amount: paid.amount },
    traced,
  );

  const inTrace = () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  const serviceOf = (span: ReadableSpan) => span.attributes['tiketi.service'];
  const find = (name: string, service?: string) =>
    inTrace().find((s) => s.name === name && (service === undefined || serviceOf(s) === service));

  it('is one trace from the gateway over HTTP and RabbitMQ to analytics and the email, every span linked', async () => {
    await vi.waitFor(
      () => {
        for (const [name, service] of [
          ['reservation.created process', 'analytics'],
          ['payment.completed process', 'analytics'],
          ['ticket.issued process', 'notification'],
        ] as const) {
          expect(find(name, service), `${name} at ${service}`).toBeDefined();
        }
        expect(mail.messages({ to: 'fan@obs.test' }).length).toBeGreaterThan(0);
      },
      { timeout: 20_000, interval: 100 },
    );
    await vi.waitFor(
      () => {
        // One tree: every span's parent is in the trace, except the browser's span the trace began with.
        const spans = inTrace();
        const ids = new Set(spans.map((s) => s.spanContext().spanId));
        const orphans = spans.filter((s) => {
          const parent = s.parentSpanContext?.spanId;
          return parent !== rootSpanId && (parent === undefined || !ids.has(parent));
        });
        expect(orphans.map((s) => `${s.name} (${String(serviceOf(s))})`)).toEqual([]);
      },
      { timeout: 10_000, interval: 100 },
    );

    const spans = inTrace();
    const servers = spans.filter((s) => s.kind === SpanKind.SERVER);
    expect([...new Set(servers.map(serviceOf))]).toEqual(
      expect.arrayContaining(['gateway', 'reservation', 'payment']),
    );
    // The gateway's requests are the top of the tree; each service below continues the caller's span.
    const gatewayRequests = servers.filter((s) => serviceOf(s) === 'gateway');
    expect(gatewayRequests).toHaveLength(3);
    for (const s of gatewayRequests) expect(s.parentSpanContext?.spanId).toBe(rootSpanId);
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const parentOf = (s: ReadableSpan | undefined) => byId.get(s?.parentSpanContext?.spanId ?? '');
    const holdRequest = servers.find(
      (s) => s.name === 'POST /api/reservations' && serviceOf(s) === 'reservation',
    );
    expect(serviceOf(parentOf(holdRequest) as ReadableSpan)).toBe('gateway');

    // Service-to-service HTTP: payment asks reservation (its client span → reservation's server span).
    const internalCall = servers.find(
      (s) => serviceOf(s) === 'reservation' && String(s.attributes['url.path']).startsWith('/internal/'),
    );
    expect(parentOf(internalCall)?.kind).toBe(SpanKind.CLIENT);
    expect(serviceOf(parentOf(parentOf(internalCall)) as ReadableSpan)).toBe('payment');

    // The outbox publishes continue the request that wrote them; the consumers continue the publish.
    for (const type of [
      'reservation.created',
      'payment.completed',
      'reservation.confirmed',
      'ticket.issued',
    ]) {
      const published = spans.find((s) => s.name === `${type} publish`);
      expect(published?.kind, type).toBe(SpanKind.PRODUCER);
      const consumed = spans.filter((s) => s.name === `${type} process`);
      expect(consumed.length, type).toBeGreaterThan(0);
      for (const c of consumed)
        expect(c.parentSpanContext?.spanId, type).toBe(published?.spanContext().spanId);
    }
    const email = find('ticket.issued process', 'notification');
    const chain: string[] = [];
    for (let s: ReadableSpan | undefined = email; s; s = parentOf(s)) chain.push(`${String(serviceOf(s))}`);
    expect(chain.at(-1)).toBe('gateway');
    expect(mail.messages({ to: 'fan@obs.test' }).some((m) => m.subject.length > 0)).toBe(true);
  });

  it('exposes the RED metrics on every service and the business metrics deploy/monitoring queries', async () => {
    // The sale is counted once reservation has confirmed it (an internal call, or `payment.completed`).
    await vi.waitFor(
      async () =>
        expect(await (await fetch(`${reservationUrl}/metrics`)).text()).toMatch(
          /^tiketi_tickets_sold_total\{[^}]*\} 2$/m,
        ),
      { timeout: 15_000, interval: 100 },
    );
    const expositions: Record<string, string> = {};
    for (const [service, url] of Object.entries(services)) {
      // A probe first, as the kubelet sends: every service has then served a request to count.
      expect((await fetch(`${url}/readyz`)).status, service).toBe(200);
      const text = await (await fetch(`${url}/metrics`)).text();
      expositions[service] = text;
      for (const type of [
        '# TYPE http_requests_total counter',
        '# TYPE http_request_errors_total counter',
        '# TYPE http_request_duration_seconds histogram',
      ]) {
        expect(text, `${service}: ${type}`).toContain(type);
      }
      expect(text, service).toMatch(
        new RegExp(`^http_requests_total\\{[^}]*route="/readyz"[^}]*service="${service}"[^}]*\\} 1$`, 'm'),
      );
      expect(text, service).toMatch(/^http_request_duration_seconds_bucket\{/m);
    }
    const sample = (service: string, pattern: string) =>
      Number(new RegExp(`^${pattern}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(expositions[service] ?? '')?.[1]);
    expect(sample('reservation', 'tiketi_tickets_sold_total')).toBe(2);
    expect(sample('payment', 'tiketi_sales_amount_krw_total')).toBe(154_000);
    expect(expositions.payment).toMatch(/^tiketi_payments_total\{[^}]*outcome="completed"[^}]*\} 1$/m);
    expect(expositions.gateway).toMatch(
      /^http_requests_total\{[^}]*method="POST"[^}]*status="201"[^}]*service="gateway"[^}]*\} \d+$/m,
    );

    // Every tiketi_* series an alert, the dashboard or the queue's autoscaler asks for is one a service exposes.
    const wanted = new Set(
      [
        monitoringFile('monitoring/prometheus/rules/tiketi.rules.yml'),
        monitoringFile('monitoring/grafana/dashboards/key-metrics.json'),
        monitoringFile('k8s/system/helm/prometheus-adapter.values.yaml'),
      ].flatMap((text) => text.match(/\btiketi_[a-z_]+[a-z]/g) ?? []),
    );
    const exposed = new Set(
      Object.values(expositions).flatMap((text) =>
        [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
          type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name],
        ),
      ),
    );
    expect(wanted.size).toBeGreaterThan(5);
    expect([...wanted].filter((name) => !exposed.has(name))).toEqual([]);
  });
});
