import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Envelope, EventInput, Role } from '@tiketi/contracts';
import { buildApp as buildEventApp } from '@tiketi/event/app';
import type { DB as EventDB } from '@tiketi/event/db';
import {
  createDb,
  createRedis,
  databaseUrl,
  loadConfig,
  makeEnvelope,
  sql,
  type Transaction,
} from '@tiketi/kit';
import {
  closeOnce,
  createTestTokens,
  DEVELOPMENT_ENV,
  listenOnLoopback,
  openTestInfra,
  testConfig,
  testLogger,
} from '@tiketi/kit/testing';
import { startTestUserService, type TestUserService } from '@tiketi/user/testing';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll } from 'vitest';
import { buildApp, type ReservationApp } from '../src/app.ts';
import { configShape, type ReservationConfig } from '../src/config.ts';
import type { DB } from '../src/db/schema.ts';

/** For behaviour that settles asynchronously (events, expiry). */
export { eventually } from '@tiketi/kit/testing';

export const migrations = new URL('../migrations', import.meta.url).pathname;

type Spec = {
  service: 'reservation';
  database: { name: string; migrations: string };
  redis: true;
  bus: true;
};

/** How one instance runs: with settings of its own, consuming from RabbitMQ, serving HTTP on a port. */
export type InstanceOptions = { config?: Partial<ReservationConfig>; consume?: boolean; listen?: boolean };

/** A test file's own reservations database, Redis prefix and exchange, and token signer. */
async function openHarness(label: string, overrides: Partial<ReservationConfig> = {}) {
  const config: ReservationConfig = {
    ...loadConfig(configShape, DEVELOPMENT_ENV),
    ...testConfig(label),
    // Nothing answers here: tests feed every event through event.published.
    EVENT_SERVICE_URL: 'http://127.0.0.1:9',
    EVENT_SERVICE_TIMEOUT_MS: 300,
    // Nor here, unless the suite starts the real user service (`userService`).
    USER_SERVICE_URL: 'http://127.0.0.1:9',
    SALE_INFO_CACHE_MS: 0,
    ...overrides,
  };
  const infra = await openTestInfra<Spec, DB>(
    { service: 'reservation', database: { name: 'unused', migrations }, redis: true, bus: true },
    config,
  );
  const tokens = await createTestTokens();
  const opened: { close: () => Promise<void> }[] = [];

  const dbUrl = databaseUrl(config.DATABASE_URL, `${config.DATABASE_NAME}${config.DATABASE_SUFFIX}`);

  /** One more instance of the service, with its own pool and Redis connection like a separate process. */
  async function instance(options: InstanceOptions = {}) {
    const db = createDb<DB>({ url: dbUrl, poolSize: 10 });
    const redis = createRedis(config.REDIS_URL, config.REDIS_PREFIX);
    const service = await buildApp({
      config: { ...config, ...options.config },
      db,
      redis,
      bus: options.consume ? infra.bus : undefined,
      logger: testLogger(),
      jwks: tokens.jwks,
    });
    let url = '';
    if (options.listen) {
      await service.app.listen({ port: 0, host: '127.0.0.1' });
      url = `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`;
    }
    const release = async () => {
      await db.destroy();
      redis.disconnect();
    };
    const handle = { ...service, db, redis, url, close: closeOnce(service, release) };
    opened.push(handle);
    return handle;
  }

  return {
    config,
    infra,
    db: infra.db,
    /** The file's database, for a client of a test's own. */
    dbUrl,
    redis: infra.redis,
    tokens,
    instance,
    async userToken(id: string = randomUUID(), role: Role = 'user') {
      return { id, token: await tokens.sign({ id, role }) };
    },
    async cleanup() {
      for (const o of opened) await o.close();
      await infra.cleanup();
    },
  };
}

export type Harness = Awaited<ReturnType<typeof openHarness>>;
/** One instance of the service that a harness started. */
export type Instance = Awaited<ReturnType<Harness['instance']>>;
/** A user id and an access token signed for it. */
export type UserToken = Awaited<ReturnType<Harness['userToken']>>;

/**
 * The real event service, listening, on a database of its own: for a test of what reservation does with
 * the event service's answers (give its `url` as EVENT_SERVICE_URL).
 */
async function startEventService(label: string) {
  const infra = await openTestInfra<
    { service: 'event'; database: { name: string; migrations: string } },
    EventDB
  >(
    {
      service: 'event',
      database: { name: 'unused', migrations: new URL('../../event/migrations', import.meta.url).pathname },
    },
    testConfig(label),
  );
  const app = await buildEventApp({ db: infra.db, logger: testLogger(), readiness: infra.readiness });
  return {
    url: await listenOnLoopback(app),
    async close() {
      await app.close();
      await infra.cleanup();
    },
  };
}

export type RunningEventService = Awaited<ReturnType<typeof startEventService>>;

export type SuiteOptions = {
  /** Settings of the file's instances, over those of `openHarness`. */
  config?: Partial<ReservationConfig>;
  /** The instances the tests share, opened before them (default: one); `svc` is the first. */
  instances?: InstanceOptions[];
  /** Events the service knows before the tests, delivered through the first instance. */
  events?: EventInput<'event.published'>[];
  /**
   * Start the instances' background work (consumers, expiry sweeper); with a consuming instance, the
   * outbox relay too, so what the service writes goes round through RabbitMQ as in production.
   */
  start?: boolean;
  /** The real event service beside them, its URL as EVENT_SERVICE_URL (see `startEventService`). */
  eventService?: boolean;
  /** The real user service beside them, listening, its URL as USER_SERVICE_URL (`account` makes users). */
  userService?: boolean;
};

/**
 * For a describe block: before its tests, a harness of its own (`label` names its database, Redis prefix
 * and exchange) with the instances, events and background work `options` ask for; after them, all of it
 * closed and removed. Answers the harness's parts and the instances, readable from the hooks and tests on.
 * Hooks the file registers after this one run after its set-up and before its clean-up.
 */
export function reservationSuite(label: string, options: SuiteOptions = {}) {
  let harness: Harness | undefined;
  let instances: Instance[] = [];
  let eventService: RunningEventService | undefined;
  let userService: (TestUserService & { url: string }) | undefined;
  const signIns: ((h: Harness) => Promise<void>)[] = [];

  beforeAll(async () => {
    if (options.eventService) eventService = await startEventService(`${label}-events`);
    if (options.userService) {
      const users = await startTestUserService(`${label}-users`);
      userService = { ...users, url: await listenOnLoopback(users.app) };
    }
    const h = await openHarness(label, {
      ...(eventService ? { EVENT_SERVICE_URL: eventService.url } : {}),
      ...(userService ? { USER_SERVICE_URL: userService.url } : {}),
      ...options.config,
    });
    harness = h;
    await Promise.all(signIns.map((signIn) => signIn(h)));
    const wanted = options.instances ?? [{}];
    instances = await Promise.all(wanted.map((o) => h.instance(o)));
    for (const event of options.events ?? []) await deliver(instances[0] as Instance, published(event));
    const consuming = wanted.some((o) => o.consume);
    if (consuming) await h.infra.bus.waitForConnect();
    if (!options.start) return;
    if (consuming) await h.infra.start();
    for (const i of instances) await i.start();
  });
  afterAll(async () => {
    await harness?.cleanup();
    await eventService?.close();
    await userService?.close();
  });

  const opened = (): Harness => {
    if (!harness) throw new Error(`${label}: the harness opens in beforeAll`);
    return harness;
  };
  return {
    get config() {
      return opened().config;
    },
    get infra() {
      return opened().infra;
    },
    get db() {
      return opened().db;
    },
    get dbUrl() {
      return opened().dbUrl;
    },
    get redis() {
      return opened().redis;
    },
    get tokens() {
      return opened().tokens;
    },
    instance: (o?: InstanceOptions) => opened().instance(o),
    userToken: (...args: Parameters<Harness['userToken']>) => opened().userToken(...args),
    /**
     * A user of the block's own, named while the block is collected: its id at once, its token signed
     * before the tests (in a hook or test, `await userToken()` instead).
     */
    user(role: Role = 'user'): UserToken {
      if (harness) throw new Error(`${label}: user() is for the describe block; use userToken() here`);
      const id = randomUUID();
      let token: string | undefined;
      signIns.push(async (h) => {
        token = (await h.userToken(id, role)).token;
      });
      return {
        id,
        get token() {
          if (token === undefined) throw new Error(`${label}: the user's token is signed in beforeAll`);
          return token;
        },
      };
    },
    /**
     * A real account of the user service (`userService`) with the role, and a token signed for it here:
     * for what this service asks the user service about an account.
     */
    async account(role: 'user' | 'staff' | 'admin'): Promise<UserToken> {
      if (!userService) throw new Error(`${label}: account() needs the suite's userService`);
      return opened().userToken(await userService.account(role), role);
    },
    /** The first of the suite's instances. */
    get svc(): Instance {
      opened();
      return instances[0] as Instance;
    },
    get app(): Instance['app'] {
      opened();
      return (instances[0] as Instance).app;
    },
    get instances(): Instance[] {
      opened();
      return instances;
    },
    /** The headers of a call from another service (`/internal/...`). */
    get internal() {
      return { 'x-internal-token': opened().config.INTERNAL_TOKEN };
    },
  };
}

export type Suite = ReturnType<typeof reservationSuite>;

/** An on-sale event with `seatCount` seats in two price tiers (VIP 150,000 for the first ten, R 90,000). */
export function onSaleEvent(
  seatCount: number,
  overrides: Partial<EventInput<'event.published'>> = {},
): EventInput<'event.published'> {
  const vip = randomUUID();
  const regular = randomUUID();
  const now = Date.now();
  return {
    eventId: randomUUID(),
    status: 'on_sale',
    title: 'Test concert',
    artistId: randomUUID(),
    venueId: randomUUID(),
    startsAt: new Date(now + 30 * 86_400_000).toISOString(),
    saleOpensAt: new Date(now - 3_600_000).toISOString(),
    saleClosesAt: new Date(now + 86_400_000).toISOString(),
    perUserLimit: 4,
    waitingRoom: { enabled: false, admissionRatePerMinute: 100, maxActiveShoppers: 100 },
    priceTiers: [
      { id: vip, name: 'VIP', price: 150_000 },
      { id: regular, name: 'R', price: 90_000 },
    ],
    seats: Array.from({ length: seatCount }, (_, i) => ({
      id: randomUUID(),
      label: `A-${i + 1}`,
      section: 'A',
      row: String(Math.floor(i / 20) + 1),
      number: (i % 20) + 1,
      x: (i % 20) * 10,
      y: Math.floor(i / 20) * 10,
      tierId: i < 10 ? vip : regular,
    })),
    ...overrides,
  };
}

/** Feeds an event to the service's own consumer handler, as the inbox consumer would. */
export async function deliver(
  service: ReservationApp & { db: Harness['db'] },
  envelope: Envelope<'event.published' | 'event.updated' | 'event.cancelled'>,
) {
  const outcome = await service.db
    .transaction()
    .execute((trx) => service.handlers.catalogue(envelope as never, trx));
  await service.handlers.afterCatalogue(outcome);
}

export function published(data: EventInput<'event.published'>) {
  return makeEnvelope('event.published', data);
}

/** A new fan holding these seats of the event: their id, token and reservation. */
export async function holdAsNewFan(h: Pick<Suite, 'userToken' | 'app'>, eventId: string, seatIds: string[]) {
  const fan = await h.userToken();
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/reservations',
    headers: bearer(fan.token),
    payload: { eventId, seatIds },
  });
  if (res.statusCode !== 201) throw new Error(`hold: ${res.statusCode} ${res.body}`);
  const held = res.json() as { reservationId: string; amount: number; expiresAt: string };
  return { ...fan, reservationId: held.reservationId, amount: held.amount, expiresAt: held.expiresAt };
}

/**
 * A paid ticket of `event` for the holder of `token`: the seat held, the reservation confirmed as the
 * payment service would, and the ticket read back with its QR payload and short code.
 */
export async function paidTicket(
  h: Pick<Suite, 'internal' | 'app'>,
  token: string,
  event: EventInput<'event.published'>,
  seat = 0,
) {
  const held = await h.app.inject({
    method: 'POST',
    url: '/api/reservations',
    headers: bearer(token),
    payload: { eventId: event.eventId, seatIds: [event.seats[seat]?.id] },
  });
  if (held.statusCode !== 201) throw new Error(`hold: ${held.statusCode} ${held.body}`);
  const reservationId = held.json().reservationId as string;
  const confirmed = await h.app.inject({
    method: 'POST',
    url: `/internal/reservations/${reservationId}/confirm`,
    headers: h.internal,
    payload: { paymentId: randomUUID() },
  });
  const id = confirmed.json().tickets[0].id as string;
  const detail = await h.app.inject({ url: `/api/tickets/${id}`, headers: bearer(token) });
  return { id, reservationId, qr: detail.json().qr as string, code: detail.json().code as string };
}

/** The text of a PDF (every page), as a reader extracts it. */
export async function pdfText(body: Buffer): Promise<string> {
  const pdf = await getDocumentProxy(new Uint8Array(body));
  return (await extractText(pdf, { mergePages: true })).text;
}

export function bearer(token: string, extra: Record<string, string> = {}) {
  return { authorization: `Bearer ${token}`, ...extra };
}

/**
 * The statuses the service's OpenAPI document lists for one route (`/api/seats/event/{eventId}`), so a
 * test that sees an answer can check that clients were told of it.
 */
export async function documentedStatuses(
  app: { inject(options: { url: string }): Promise<{ json(): unknown }> },
  path: string,
  method = 'get',
): Promise<string[]> {
  const doc = (await app.inject({ url: '/docs/json' })).json() as {
    paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
  };
  return Object.keys(doc.paths[path]?.[method]?.responses ?? {});
}

/**
 * Rows of these tables read so far in the transaction, by any path (as PostgreSQL counts them): what a
 * statement read is the difference across it.
 */
export async function rowsRead(trx: Transaction<DB>, tables: string[]): Promise<number> {
  const { rows } = await sql<{
    n: number;
  }>`select coalesce(sum(seq_tup_read + coalesce(idx_tup_fetch, 0)), 0)::int
    as n from pg_stat_xact_user_tables where relname = any(${tables}::text[])`.execute(trx);
  return rows[0]?.n ?? 0;
}
