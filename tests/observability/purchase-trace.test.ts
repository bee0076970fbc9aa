import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { addSpanProcessor, SpanKind } from '@tiketi/kit';
import { challengeHeader } from '@tiketi/kit/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startServicesInProcess } from '../support/in-process-services.ts';

/**
 * Issue 10's last check: one purchase through the running services is one trace, from the gateway over
 * every HTTP hop and every RabbitMQ hop to analytics and the email, and every service's /metrics carries
 * the RED metrics and the business metrics deploy/monitoring queries. The real services run in this
 * process, each on its own test database and Redis prefix, sharing one test exchange.
 */
const exporter = new InMemorySpanExporter();
addSpanProcessor(new SimpleSpanProcessor({ exporter }));

const monitoringFile = (path: string) =>
  readFileSync(new URL(`../../deploy/${path}`, import.meta.url), 'utf8');
const DAY = 86_400_000;

describe('obs: one purchase through the running services', () => {
  let platform: Awaited<
    ReturnType<typeof startServicesInProcess<{ label: string; poolSize: number; notification: true }>>
  >;
  let users: typeof platform.users;
  let toss: typeof platform.toss;
  let mail: typeof platform.notification.mail;
  let gatewayUrl: string;
  let reservationUrl: string;
  /** Where each service answers probes and scrapes, by name. */
  let services: Record<string, string>;
  let sale: { id: string };
  let fan: Session;
  let paid: { paymentKey: string; orderId: string; amount: number; redirectUrl: string };
  afterAll(() => platform.close());

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

  /**
   * The fan's browser starts one trace for the checkout and sends it on each request, as the OpenTelemetry
   * browser SDK does; everything the purchase sets off must hang from it.
   */
  const traceId = randomBytes(16).toString('hex');
  const rootSpanId = randomBytes(8).toString('hex');
  beforeAll(async () => {
    // Small pools: eight services share the test server's connections with every other test file.
    platform = await startServicesInProcess({ label: 'obs-trace', poolSize: 3, notification: true });
    ({ users, toss } = platform);
    ({ mail } = platform.notification);
    gatewayUrl = platform.urls.gateway;
    reservationUrl = platform.urls.reservation;
    // The gateway answers probes and scrapes on its operations port only.
    services = {
      ...platform.urls,
      gateway: platform.gatewayOpsUrl,
      notification: platform.notification.url,
    };

    // A catalogue to buy from, made by an operator: one on-sale event without a waiting room.
    await call(
      'POST',
      '/api/auth/register',
      { email: 'operator@obs.test', password: 'correct-horse-1', name: 'Operator' },
      await challengeHeader(gatewayUrl, 'register'),
    );
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
    sale = await call<{ id: string }>(
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
    const registered = await call<Session & { refreshToken: string }>(
      'POST',
      '/api/auth/register',
      { email: 'fan@obs.test', password: 'correct-horse-1', name: 'Trace Fan' },
      await challengeHeader(gatewayUrl, 'register'),
    );
    // Only a verified address holds seats; a refresh hands out tokens that say so.
    await users.verifyEmail(registered.user.id);
    fan = await call<Session>('POST', '/api/auth/refresh', { refreshToken: registered.refreshToken });
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
    paid = toss.authorize(new URL(opened.paymentUrl).pathname.split('/').pop() ?? '', 'approve');
    await call(
      'POST',
      '/api/payments/toss/confirm',
      { paymentKey: paid.paymentKey, orderId: paid.orderId, amount: paid.amount },
      traced,
    );
  });

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

    // Payment's calls to Toss are client spans of the confirm request, and keep the payment key out.
    const paymentConfirm = servers.find(
      (s) => s.name === 'POST /api/payments/toss/confirm' && serviceOf(s) === 'payment',
    );
    const tossConfirm = find('POST Toss confirm');
    expect(tossConfirm?.kind).toBe(SpanKind.CLIENT);
    expect(parentOf(tossConfirm)).toBe(paymentConfirm);
    expect(tossConfirm?.attributes).toMatchObject({
      'tiketi.toss.operation': 'confirm',
      'http.response.status_code': 200,
      'tiketi.toss.payment_status': 'DONE',
    });
    expect(Object.values(tossConfirm?.attributes ?? {}).map(String)).not.toContainEqual(
      expect.stringContaining(paid.paymentKey),
    );

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
    // These apps are built without server settings, so they take no operations token (tests/security/edge.ts
    // proves that the platform's services ask it).
    const scrape = {};
    // The sale is counted once reservation has confirmed it (an internal call, or `payment.completed`).
    await vi.waitFor(
      async () =>
        expect(await (await fetch(`${reservationUrl}/metrics`, scrape)).text()).toMatch(
          /^tiketi_tickets_sold_total\{[^}]*\} 2$/m,
        ),
      { timeout: 15_000, interval: 100 },
    );
    const expositions: Record<string, string> = {};
    for (const [service, url] of Object.entries(services)) {
      // A probe first, as the kubelet sends: every service has then served a request to count.
      expect((await fetch(`${url}/readyz`)).status, service).toBe(200);
      const text = await (await fetch(`${url}/metrics`, scrape)).text();
      expositions[service] = text;
      for (const type of [
        '# TYPE http_requests_total counter',
        '# TYPE http_request_errors_total counter',
        '# TYPE http_request_duration_seconds histogram',
      ]) {
        expect(text, `${service}: ${type}`).toContain(type);
      }
      // The gateway answers probes on its operations port, whose requests are not traffic it counts.
      if (service !== 'gateway') {
        expect(text, service).toMatch(
          new RegExp(`^http_requests_total\\{[^}]*route="/readyz"[^}]*service="${service}"[^}]*\\} 1$`, 'm'),
        );
      }
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
    const infraExpositions = await Promise.all(platform.infraMetrics.map((m) => m.registry.metrics()));
    const exposed = new Set(
      [...Object.values(expositions), ...infraExpositions].flatMap((text) =>
        [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
          type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name],
        ),
      ),
    );
    expect(wanted.size).toBeGreaterThan(5);
    expect([...wanted].filter((name) => !exposed.has(name))).toEqual([]);
  });
});
