import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  type EventInput,
  HOLD_UNDER_ADMISSION,
  positionIn,
  type QueueAdmitted,
  type QueueCancelled,
  type QueueClosed,
  type QueueLeftNotice,
  type QueueProgress,
  type QueueStatus,
} from '@tiketi/contracts';
import { buildApp as buildGateway } from '@tiketi/gateway/app';
import {
  type App,
  type AuthOptions,
  type Bus,
  createRedis,
  loadConfig,
  makeEnvelope,
  type Redis,
  sessionRevocations,
} from '@tiketi/kit';
import {
  challengeHeader,
  createTestTokens,
  DEVELOPMENT_ENV,
  listenOnLoopback,
  openTestInfra,
  type TestTokens,
  testConfig,
  testLogger,
} from '@tiketi/kit/testing';
import { io, type Socket } from 'socket.io-client';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll } from 'vitest';
import { buildApp, type QueueService } from '../src/app.ts';
import { configShape } from '../src/config.ts';

export type QueueConfig = ReturnType<typeof queueTestConfig>;

/** The service's configuration with this test file's own Redis prefix and exchange, and quick timers. */
export function queueTestConfig(label: string, overrides: Record<string, number> = {}) {
  return {
    ...loadConfig(configShape, DEVELOPMENT_ENV),
    ...testConfig(label),
    ADMISSION_TICK_MS: 50,
    PRESENCE_REFRESH_MS: 200,
    PROGRESS_HEARTBEAT_MS: 500,
    // Every join solves a challenge: the lowest difficulty keeps that cheap.
    CHALLENGE_MAX_NUMBER: 1_000,
    ...overrides,
  };
}

export type Instance = {
  service: QueueService;
  url: string;
  bus: Bus;
  /** Stops serving and background work; its bus and Redis stay open until `close`. */
  halt(): Promise<void>;
  /** Halts it and closes its connections, leaving the test file's queues and keys for `close`. */
  disconnect(): Promise<void>;
  /** Stops it and removes everything the test file made (queues, exchange, Redis keys). */
  close(): Promise<void>;
};

/** One running instance of the queue service with its own connections, as a separate process would. */
export async function startInstance(config: QueueConfig, jwks: AuthOptions['jwks']): Promise<Instance> {
  const infra = await openTestInfra({ service: 'queue', redis: true, bus: true }, config);
  const adapterRedis = createRedis(config.REDIS_URL, '');
  const service = await buildApp({
    config,
    logger: testLogger(),
    // Ended sessions are read as main.ts reads them, but each time afresh: a test's sign-out counts at
    // once rather than after the kit's memory of live sessions (CACHE_LIMITS.liveSessions) lapses.
    auth: {
      jwks,
      internalToken: config.INTERNAL_TOKEN,
      revocations: sessionRevocations(infra.redis, { cacheMs: 0 }),
    },
    redis: infra.redis,
    adapterRedis,
    bus: infra.bus,
    readiness: infra.readiness,
  });
  await service.app.listen({ port: 0, host: '127.0.0.1' });
  await service.start();
  const url = `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`;
  let halted = false;
  const halt = async () => {
    if (halted) return;
    halted = true;
    await service.app.close();
    await service.stop();
    adapterRedis.disconnect();
  };
  return {
    service,
    url,
    bus: infra.bus,
    halt,
    async disconnect() {
      await halt();
      await infra.close();
    },
    async close() {
      await halt();
      await infra.cleanup();
    },
  };
}

/** Stops every instance first, so that no consumer is left on the queues the cleanup deletes. */
export async function closeAll(instances: Instance[]): Promise<void> {
  for (const instance of instances) await instance.halt();
  const [first, ...others] = instances;
  for (const instance of others) await instance.disconnect();
  await first?.close();
}

export type SuiteOptions = {
  /** Instances sharing the test file's Redis prefix and exchange, as separate processes would. */
  instances?: number;
  /** Puts the gateway in front of the first instance. */
  gateway?: boolean;
  /** Settings known only once the file's other hooks have run (another service's URL), read before start. */
  config?: () => Partial<QueueConfig>;
};

/**
 * What a queue test file sets up around its tests, registered as its `beforeAll` and `afterAll`: fresh
 * token keys, running instances, the gateway if asked for, a Redis client on the file's prefix, and
 * the sockets its tests open, closed before the instances. `queue` (the first of `instances`),
 * `tokens` and `gateway` stand for what `beforeAll` starts, so a file can name them up front.
 */
export function queueSuite(
  label: string,
  overrides: Record<string, number> = {},
  options: SuiteOptions = {},
) {
  const config = queueTestConfig(label, overrides);
  const redis = createRedis(config.REDIS_URL, config.REDIS_PREFIX);
  const started: Instance[] = [];
  const clients: { close(): void }[] = [];
  let keys: TestTokens | undefined;
  let front: { app: App; url: string } | undefined;
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is only there from beforeAll on`);
    return value;
  };
  const instance = (i: number): Instance => {
    const get = () => ready(started[i], `queue instance ${i}`);
    return {
      get service() {
        return get().service;
      },
      get url() {
        return get().url;
      },
      get bus() {
        return get().bus;
      },
      halt: () => get().halt(),
      disconnect: () => get().disconnect(),
      close: () => get().close(),
    };
  };
  const instances = Array.from({ length: options.instances ?? 1 }, (_, i) => instance(i));
  const tokens: TestTokens = {
    get jwks() {
      return ready(keys, 'the token keys').jwks;
    },
    sign: (...args) => ready(keys, 'the token keys').sign(...args),
  };

  beforeAll(async () => {
    keys = await createTestTokens();
    Object.assign(config, options.config?.());
    while (started.length < instances.length) started.push(await startInstance(config, keys.jwks));
    if (options.gateway) {
      const app = await buildGateway({
        logger: testLogger(),
        jwks: keys.jwks,
        upstreams: { queue: instances[0]!.url },
      });
      front = { app, url: await listenOnLoopback(app) };
    }
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await front?.app.close();
    redis.disconnect();
    await closeAll(started);
  });

  /** Closed with the suite, before the instances it is connected to. */
  const track = <T extends { close(): void }>(client: T): T => {
    clients.push(client);
    return client;
  };
  return {
    config,
    redis,
    tokens,
    instances,
    queue: instances[0]!,
    gateway: {
      get url() {
        return ready(front, 'the gateway').url;
      },
    },
    track,
    /** A waiting-room client, closed with the suite. */
    watch: (...args: ConstructorParameters<typeof Watcher>) => track(new Watcher(...args)),
    /** A fan with a signed access token. */
    async user() {
      const id = uuidv7();
      return { id, token: await tokens.sign({ id }) };
    },
    /** Publishes a sale and waits until the waiting room knows it. */
    async announce(sale: EventInput<'event.published'>) {
      await publish(instances[0]!.bus, 'event.published', sale);
      await eventually(
        () => redis.hget(`queue:{${sale.eventId}}:settings`, 'enabled'),
        'the sale to be known',
      );
      return sale;
    },
  };
}

export type SaleOptions = {
  eventId?: string;
  opensAt?: Date;
  closesAt?: Date;
  enabled?: boolean;
  admissionRatePerMinute?: number;
  maxActiveShoppers?: number;
  status?: 'published' | 'on_sale';
};

export function publishedEvent(options: SaleOptions = {}): EventInput<'event.published'> {
  const tierId = uuidv7();
  return {
    eventId: options.eventId ?? uuidv7(),
    status: options.status ?? 'on_sale',
    title: 'Test drop',
    artistId: uuidv7(),
    venueId: uuidv7(),
    startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    saleOpensAt: (options.opensAt ?? new Date(Date.now() - 60_000)).toISOString(),
    saleClosesAt: (options.closesAt ?? new Date(Date.now() + 86_400_000)).toISOString(),
    perUserLimit: 4,
    waitingRoom: {
      enabled: options.enabled ?? true,
      admissionRatePerMinute: options.admissionRatePerMinute ?? 60_000,
      maxActiveShoppers: options.maxActiveShoppers ?? 100,
    },
    priceTiers: [{ id: tierId, name: 'R', price: 99_000 }],
    seats: [{ id: uuidv7(), label: 'A-1', section: 'A', row: '1', number: 1, x: 0, y: 0, tierId }],
  };
}

export async function publish<T extends Parameters<typeof makeEnvelope>[0]>(
  bus: Bus,
  type: T,
  data: EventInput<T>,
  options: { tag?: string } = {},
): Promise<void> {
  await bus.publish(makeEnvelope(type, data, options));
}

/**
 * A hold of five minutes made under an admission, announced the way the reservation service does (tagged,
 * so the waiting room hears it), and awaited until the room knows it.
 */
export async function holdUnderAdmission(
  bus: Bus,
  redis: Redis,
  eventId: string,
  userId: string,
): Promise<void> {
  await publish(
    bus,
    'reservation.created',
    {
      reservationId: uuidv7(),
      eventId,
      userId,
      seatIds: [uuidv7()],
      amount: 99_000,
      expiresAt: new Date(Date.now() + 300_000).toISOString(),
    },
    { tag: HOLD_UNDER_ADMISSION },
  );
  await eventually(
    async () => (await redis.hget(`queue:{${eventId}}:holds`, userId)) ?? undefined,
    'the hold to be known',
  );
}

/** Frees an admitted shopper's slot the way the reservation service does, by announcing a purchase. */
export function purchase(bus: Bus, eventId: string, userId: string): Promise<void> {
  return publish(bus, 'reservation.confirmed', {
    reservationId: uuidv7(),
    eventId,
    userId,
    seatIds: [uuidv7()],
    amount: 99_000,
    paymentId: uuidv7(),
  });
}

export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Joins as the web app does: solves the join challenge from the same base URL first. */
export async function joinQueue(url: string, token: string, eventId: string) {
  const challenge = /^[0-9a-f-]{36}$/i.test(eventId) ? await challengeHeader(url, 'join', eventId) : {};
  const res = await fetch(`${url}/api/queue/${eventId}/join`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, ...challenge },
  });
  return { status: res.status, body: (await res.json()) as QueueStatus & { code?: string } };
}

export async function queueStatus(url: string, token: string, eventId: string) {
  const res = await fetch(`${url}/api/queue/${eventId}/status`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: (await res.json()) as QueueStatus & { code?: string } };
}

/**
 * A waiting-room client as a browser would run it: learns its number from `status`, follows `progress`
 * (ignoring broadcasts older than what it knows), and records every position it would show, its
 * admission and a cancellation of the event.
 */
export class Watcher {
  socket: Socket;
  number: number | null = null;
  served = 0;
  positions: number[] = [];
  admitted: QueueAdmitted[] = [];
  cancelled: QueueCancelled[] = [];
  closed: QueueClosed[] = [];
  left: QueueLeftNotice[] = [];
  statuses: QueueStatus[] = [];
  progress: QueueProgress[] = [];
  errors: string[] = [];
  readonly eventId: string;
  readonly userId: string;
  private readonly token: string;

  private readonly onAdmitted: ((admitted: QueueAdmitted) => void) | undefined;

  constructor(
    url: string,
    user: { id: string; token: string },
    eventId: string,
    onAdmitted?: (admitted: QueueAdmitted) => void,
  ) {
    this.onAdmitted = onAdmitted;
    this.userId = user.id;
    const token = user.token;
    this.token = token;
    this.eventId = eventId;
    this.socket = this.connect(url);
  }

  private connect(url: string): Socket {
    const socket = io(url, {
      path: '/queue',
      transports: ['websocket'],
      auth: { token: this.token, eventId: this.eventId },
      forceNew: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
    });
    socket.on('status', (status: QueueStatus) => this.onStatus(status));
    socket.on('progress', (progress: QueueProgress) => this.onProgress(progress));
    socket.on('admitted', (admitted: QueueAdmitted) => {
      this.admitted.push(admitted);
      this.onAdmitted?.(admitted);
    });
    socket.on('cancelled', (cancelled: QueueCancelled) => this.cancelled.push(cancelled));
    socket.on('closed', (closed: QueueClosed) => this.closed.push(closed));
    socket.on('left', (left: QueueLeftNotice) => this.left.push(left));
    socket.on('connect_error', (error: Error & { data?: { code: string } }) =>
      this.errors.push(error.data?.code ?? error.message),
    );
    return socket;
  }

  /** Moves to another server (the way a balancer sends a reconnecting client elsewhere). */
  moveTo(url: string): void {
    this.socket.removeAllListeners();
    this.socket.disconnect();
    this.socket = this.connect(url);
  }

  connected(): Promise<void> {
    if (this.socket.connected && this.statuses.length) return Promise.resolve();
    return eventually(() => this.socket.connected && this.statuses.length > 0, 'socket to connect').then(
      () => undefined,
    );
  }

  get isAdmitted(): boolean {
    return this.admitted.length > 0 || this.statuses.some((s) => s.state === 'admitted');
  }

  private onStatus(status: QueueStatus): void {
    this.statuses.push(status);
    if (status.number !== null) this.number = status.number;
    if (status.nowServing >= this.served) this.served = status.nowServing;
    if (status.position !== null) this.positions.push(status.position);
  }

  private onProgress(progress: QueueProgress): void {
    this.progress.push(progress);
    if (this.number === null) {
      if (progress.opened) this.socket.emit('status', (status: QueueStatus) => this.onStatus(status));
      return;
    }
    if (progress.nowServing < this.served) return;
    this.served = progress.nowServing;
    this.positions.push(positionIn(this.number, progress));
  }

  close(): void {
    this.socket.removeAllListeners();
    this.socket.disconnect();
  }
}

/** Serves the test token keys the way the user service serves its JWKS, for a service in another process. */
export async function serveJwks(jwks: AuthOptions['jwks']) {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The service as its own process (`node src/main.ts`), so that a test can kill it outright. */
export async function spawnInstance(config: QueueConfig, jwksUrl: string) {
  const port = await freePort();
  const env: Record<string, string> = { ...process.env } as Record<string, string>;
  for (const [key, value] of Object.entries(config)) env[key] = String(value);
  Object.assign(env, { PORT: String(port), JWKS_URL: jwksUrl, LOG_LEVEL: 'silent' });
  const child = spawn(process.execPath, [fileURLToPath(new URL('../src/main.ts', import.meta.url))], {
    env,
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    () =>
      fetch(`${url}/readyz`)
        .then((res) => res.ok || undefined)
        .catch(() => undefined),
    'the spawned queue service to be ready',
    30_000,
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
