import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { ACCESS_TOKEN, type Role } from '@tiketi/contracts';
import { exportJWK, generateKeyPair, type JSONWebKeySet, SignJWT } from 'jose';
import { pino } from 'pino';
import {
  baseConfigShape,
  internalTokenShape,
  loadConfig,
  opsTokenShape,
  queueTokenShape,
} from '../config.ts';
import { dropDatabase } from '../db.ts';
import { type InfraConfig, type InfraSpec, openInfra } from '../infra.ts';
import { createLogger, type Logger, loggerOptions } from '../logger.ts';
import { createRedis } from '../redis.ts';

/**
 * Isolation for tests against the real PostgreSQL, Redis and RabbitMQ: every test file gets its own
 * database names, Redis key prefix and exchange, and removes them when done.
 */
export function testId(): string {
  return randomBytes(4).toString('hex');
}

export function testLogger(): Logger {
  return createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');
}

/** A logger at `info` whose lines are kept, parsed, for a test to read (what an operator would see). */
export function capturingLogger(service = 'test') {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(loggerOptions(service, 'info'), {
    write(line: string) {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  return { logger, lines };
}

/**
 * What every test's configuration is read with: local development, where the public default secrets are
 * accepted. Nothing else does this; a service started without it refuses them (kit config, TIKETI_ENV).
 */
export const DEVELOPMENT_ENV = { TIKETI_ENV: 'development' } as const;

/**
 * The base configuration with the shared service secrets (environment overrides honoured), as local
 * development, with names no other test file uses.
 */
export function testConfig(label: string) {
  const id = testId();
  const base = loadConfig(
    { ...baseConfigShape, ...internalTokenShape, ...opsTokenShape, ...queueTokenShape },
    { ...process.env, ...DEVELOPMENT_ENV },
  );
  return {
    ...base,
    DATABASE_NAME: `t_${label.replace(/[^a-z0-9]/g, '_')}_${id}`,
    DATABASE_SUFFIX: '',
    REDIS_PREFIX: `test:${label}:${id}:`,
    AMQP_EXCHANGE: `tiketi.test.${label}.${id}`,
  };
}

/** Listens on a free loopback port and answers the base URL: a service other parts of a test call. */
export async function listenOnLoopback(app: {
  listen(options: { port: number; host: string }): Promise<unknown>;
  server: { address(): unknown };
}): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`;
}

/**
 * Closes a service instance a test started as its process would shut down: its HTTP server, then its
 * background work, then what it owns (`release`: its pool, its connections). However often it is called,
 * this happens once, so a test may close an instance early and its harness close it again at the end.
 */
export function closeOnce(
  service: {
    app: { close(): Promise<unknown>; server?: { closeAllConnections?(): void } };
    stop(): Promise<unknown>;
  },
  release: () => unknown,
): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= (async () => {
      const closed = service.app.close();
      // A test has nothing to drain: a client of another part of the test (a service polling this one on a
      // keep-alive connection) must not hold the close open.
      service.app.server?.closeAllConnections?.();
      await closed;
      await service.stop();
      await release();
    })();
    return closing;
  };
}

/** Opens infrastructure like a service does, plus a cleanup that leaves nothing behind. */
export async function openTestInfra<S extends InfraSpec, DB>(
  spec: S,
  config: InfraConfig,
  logger = testLogger(),
) {
  const infra = await openInfra<S, DB>(spec, config, logger);
  return {
    ...infra,
    async cleanup() {
      // Nothing may publish while the exchange is deleted: the broker closes the channel of a publish to
      // a missing exchange, and the deletion under way may then never be answered.
      await infra.relay?.stop();
      await infra.bus?.destroyTopology().catch(() => undefined);
      await infra.close();
      if (spec.database && config.DATABASE_NAME)
        await dropDatabase(config.DATABASE_URL, config.DATABASE_NAME);
      if (spec.redis) await deleteRedisPrefix(config.REDIS_URL, config.REDIS_PREFIX);
    },
  };
}

export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = createRedis(url, '');
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Polls until `check` passes (stops throwing) or the deadline: for what settles asynchronously. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 8000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/**
 * `count` distinct letter-case spellings of one id, the first all lower case and the second all upper
 * case: what an attacker sends to find a key that sees two ids where there is one.
 */
export function caseSpellings(id: string, count: number): string[] {
  const lower = id.toLowerCase();
  const letters = [...lower].flatMap((c, i) => (/[a-z]/.test(c) ? [i] : []));
  const bits = Math.min(letters.length, 16);
  if (count > 2 && 2 ** bits <= count) throw new Error(`${id} has too few letters for ${count} spellings`);
  return Array.from({ length: count }, (_, k) => {
    if (k === 1) return lower.toUpperCase();
    const chars = [...lower];
    // Spelling k upper-cases the letters whose position bit is set in k: every k gives another spelling.
    letters.forEach((at, j) => {
      if ((k >> (j % bits)) & 1) chars[at] = (chars[at] as string).toUpperCase();
    });
    return chars.join('');
  });
}

/** Signs access tokens like the user service does, with a key set services can be given directly. */
export async function createTestTokens() {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test', alg: 'EdDSA', use: 'sig' };
  const jwks: JSONWebKeySet = { keys: [jwk] };
  return {
    jwks,
    /**
     * A verified address unless `emailVerified: false` (the user service's `email_verified` claim);
     * `sessionId` is the `sid` claim the user service puts in (its refresh family).
     */
    sign(
      user: { id: string; role?: Role; email?: string; emailVerified?: boolean },
      options: { expiresIn?: string; sessionId?: string } = {},
    ) {
      return new SignJWT({
        role: user.role ?? 'user',
        email: user.email,
        email_verified: user.emailVerified ?? true,
        sid: options.sessionId,
      })
        .setProtectedHeader({ alg: 'EdDSA', kid: 'test' })
        .setIssuer(ACCESS_TOKEN.issuer)
        .setAudience(ACCESS_TOKEN.audience)
        .setSubject(user.id)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '5m')
        .sign(privateKey);
    },
  };
}

export type TestTokens = Awaited<ReturnType<typeof createTestTokens>>;

/**
 * A TCP forwarder in front of a real server, to cut and restore a service's connection to it (a
 * database outage seen from one service, without stopping the shared server).
 */
export async function createTcpProxy(targetHost: string, targetPort: number) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(targetPort, targetHost);
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
      });
      const listening = server;
      listening.listen(port, '127.0.0.1', () => {
        port = (listening.address() as net.AddressInfo).port;
        resolve();
      });
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (server) server.close(() => resolve());
      else resolve();
      server = undefined;
    });
  await listen();
  return {
    get port() {
      return port;
    },
    cut,
    restore: listen,
    close: cut,
  };
}
export * from './challenge.ts';
export * from './png.ts';

export type SlowClient = {
  /**
   * Settles when the server answers or closes: the status line's code (undefined: closed silently) and the
   * whole answer as received, head and body.
   */
  ended: Promise<{ status: number | undefined; answer: string }>;
  /** Still connected and sending: the server has neither answered nor closed it yet. */
  readonly open: boolean;
  close(): void;
};

/**
 * A client that sends its request headers at once, then its body one byte per `intervalMs`, the way a
 * slowloris attack holds a server's connections. It promises `bodyBytes` and never finishes in time.
 * With `stallHeaders`, it drips an endless header instead and never reaches the body.
 */
export function slowClient(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    bodyBytes?: number;
    intervalMs?: number;
    stallHeaders?: boolean;
  },
): SlowClient {
  const { hostname, port, pathname, search } = new URL(url);
  const bodyBytes = options.bodyBytes ?? 1000;
  const headers = { host: `${hostname}:${port}`, 'content-type': 'application/json', ...options.headers };
  const head = Object.entries({ ...headers, 'content-length': String(bodyBytes) })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const socket = net.connect(Number(port), hostname);
  let timer: NodeJS.Timeout | undefined;
  let received = '';
  socket.on('connect', () => {
    const line = `${options.method ?? 'POST'} ${pathname}${search} HTTP/1.1\r\n`;
    socket.write(options.stallHeaders ? `${line}x-slow: ` : `${line}${head}\r\n{`);
    timer = setInterval(() => socket.write(' '), options.intervalMs ?? 1000);
  });
  socket.on('data', (chunk) => {
    received += chunk.toString('latin1');
  });
  let open = true;
  const ended = new Promise<{ status: number | undefined; answer: string }>((resolve) => {
    const finish = () => {
      open = false;
      clearInterval(timer);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(received)?.[1];
      resolve({ status: status ? Number(status) : undefined, answer: received });
    };
    socket.on('close', finish);
    socket.on('error', () => socket.destroy());
  });
  return {
    ended,
    get open() {
      return open && received === '';
    },
    close() {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

/** A POST whose body is sent chunked, without a Content-Length: its size is known only by reading it. */
export function postChunked(url: string, headers: Record<string, string>, chunks: string[]) {
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
        );
      },
    );
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}
