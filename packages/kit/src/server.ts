import { randomUUID } from 'node:crypto';
import { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import fastifySwagger from '@fastify/swagger';
import Fastify, {
  type ContextConfigDefault,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifySchema,
  LogController,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerBase,
  type RawServerDefault,
  type RouteGenericInterface,
  type RouteHandlerMethod,
} from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { QueryExecutorProvider } from 'kysely';
import { sameSecret } from './auth.ts';
import { ConfigError } from './config.ts';
import { enterContext, newContext } from './context.ts';
import { HttpProblem, problems } from './errors.ts';
import type { Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { registerOutboxMetrics } from './outbox.ts';
import { notUtf8, refuseUnsafeRequestText } from './text.ts';
import { endSpan, type Span, SpanKind, SpanStatusCode } from './tracing.ts';

export type ReadinessCheck = () => Promise<unknown>;

export type ServerOptions = {
  name: string;
  logger: Logger;
  /** Largest accepted request body; bigger ones are answered 413. */
  bodyLimit?: number;
  /** Dependencies that must answer for `/readyz` to say ready (database, Redis, broker…). */
  readiness?: Record<string, ReadinessCheck>;
  /** The service's database when it publishes through the outbox: the backlog goes on /metrics. */
  outbox?: QueryExecutorProvider;
  /** Timeouts and trusted proxies (`serverSettings(config)`); safe defaults when left out. */
  http?: Partial<HttpSettings>;
  /** Where `/healthz`, `/readyz`, `/metrics` and `/docs/json` answer, and who may read the last two. */
  ops?: OpsSettings;
  metrics?: Metrics;
};

export type HttpSettings = {
  /**
   * The whole request, headers and body, must have arrived within this, or it is answered 408 and its
   * connection closed: a client dribbling a body cannot keep a connection, or what stands behind it, busy.
   */
  requestTimeoutMs: number;
  /** The request line and headers must have arrived within this. */
  headersTimeoutMs: number;
  /**
   * Peers whose `X-Forwarded-For` is believed (addresses, CIDRs, or proxy-addr's `loopback`,
   * `linklocal`, `uniquelocal`). Anyone else's header is ignored and the peer address is the client.
   */
  trustedProxies: string[];
  /**
   * The level of the one line logged per answered request (5xx always at `error`). Behind the gateway,
   * which logs every request line already, a service's own line would say the same again and cost the hot
   * path its formatting and writing: services log it at `debug`, the gateway at `info`.
   */
  requestLogLevel: 'info' | 'debug';
};

export type OpsSettings = {
  /**
   * Set: the four operations endpoints are served only by a separate listener on this port (0: any free
   * port), never by the app itself. Unset: the app serves them.
   */
  port?: number;
  /**
   * Required as a bearer token for `/metrics` and `/docs/json` on the app. Every service sets it
   * (`serverSettings`); only an app built without settings, in a test, serves them to anyone.
   */
  token?: string;
};

export const defaultHttpSettings: HttpSettings = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  // The gateway runs beside the services on one machine; a deployment names its own proxies.
  trustedProxies: ['loopback'],
  requestLogLevel: 'info',
};

export type ServerSettings = { http: HttpSettings; ops: OpsSettings; metrics?: Metrics };

/**
 * What a service's `buildApp` takes for its server besides its own parts: from main its logger,
 * `infra.readiness` and `serverSettings(config, infra.metrics)`; from a test a logger and what it checks.
 */
export type ServiceDeps = {
  /** Timeouts, trusted proxies and the operations endpoints (`serverSettings(config)` in main). */
  server?: ServerSettings;
  logger: Logger;
  /** Dependencies that must answer for `/readyz` to say ready (`infra.readiness` in main). */
  readiness?: Record<string, ReadinessCheck>;
};

/** The server of a service's `buildApp`: `createServer` with what main or a test handed it (`ServiceDeps`). */
export function createServiceServer(
  name: string,
  deps: ServiceDeps,
  options: Pick<ServerOptions, 'bodyLimit' | 'outbox'> = {},
): Promise<{ app: App; metrics: Metrics }> {
  return createServer({ name, logger: deps.logger, readiness: deps.readiness, ...options, ...deps.server });
}

/**
 * The server settings of a service, from the variables every service reads (`baseConfigShape`), and the
 * registry its background work already counts in (`openInfra`'s), so /metrics shows both.
 */
export function serverSettings(
  config: {
    REQUEST_TIMEOUT_MS: number;
    HEADERS_TIMEOUT_MS: number;
    TRUSTED_PROXIES: string[];
    OPS_PORT: number;
    REQUEST_LOG_LEVEL: HttpSettings['requestLogLevel'];
    /** `opsTokenShape`: required unless OPS_PORT keeps the operations endpoints off the public port. */
    OPS_TOKEN?: string;
  },
  metrics?: Metrics,
): ServerSettings {
  // One rule for every service: metrics and the OpenAPI document are never open on the port the public
  // reaches; a service whose config forgot the token fails to start rather than serving them to anyone.
  if (!config.OPS_PORT && !config.OPS_TOKEN) {
    throw new ConfigError('OPS_TOKEN is required unless OPS_PORT serves /metrics and /docs/json apart');
  }
  return {
    ...(metrics ? { metrics } : {}),
    http: {
      requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
      headersTimeoutMs: config.HEADERS_TIMEOUT_MS,
      trustedProxies: config.TRUSTED_PROXIES,
      requestLogLevel: config.REQUEST_LOG_LEVEL,
    },
    ops: {
      ...(config.OPS_PORT ? { port: config.OPS_PORT } : {}),
      ...(config.OPS_TOKEN ? { token: config.OPS_TOKEN } : {}),
    },
  };
}

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** The handler of an `App` route with schema `S`: request and reply typed from its zod schemas. */
export type RouteHandlerOf<S extends FastifySchema> = RouteHandlerMethod<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  RouteGenericInterface,
  ContextConfigDefault,
  S,
  ZodTypeProvider
>;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** What a request that its client gave up on is logged and counted as (nginx's "client closed request"). */
const CLIENT_CLOSED = 499;
/**
 * When each request began and its span: a request its client gave up on ends outside its own async
 * context, and no reply measures its time.
 */
const begun = new WeakMap<object, { at: number; span: Span }>();
const READINESS_TIMEOUT_MS = 2000;
/** How often Node looks for requests past their timeouts (its default, 30 s, would let them run long). */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;

/**
 * Answers a connection whose request Node's parser refused before any route saw it (too slow, headers too
 * large, not HTTP) with problem+json, as every other refusal, then closes it. Fastify's own answer is a
 * JSON body of its own shape.
 */
function clientErrorHandler(limits: { requestTimeoutMs: number; headersTimeoutMs: number }) {
  const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;
  return (error: Error & { code?: string }, socket: Socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    writeProblem(
      socket,
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new HttpProblem(
            408,
            'REQUEST_TIMEOUT',
            `The request did not arrive in time: its headers must arrive within ` +
              `${seconds(limits.headersTimeoutMs)} and all of it within ${seconds(limits.requestTimeoutMs)}.`,
          )
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? new HttpProblem(431, 'HEADERS_TOO_LARGE', 'The request headers are too large.')
          : new HttpProblem(400, 'MALFORMED_REQUEST', 'The request is not well-formed HTTP.'),
    );
  };
}

/**
 * Answers with a problem+json where no Fastify reply exists: on a response Node or a library holds outside
 * any route (Node's own 417, engine.io's refusals), or straight onto a connection that has no response
 * yet (a request Node's parser refused, an upgrade refused), which is then closed.
 */
export function writeProblem(to: ServerResponse | Duplex, problem: HttpProblem, instance?: string): void {
  const answer = problem.toProblem(instance);
  const body = JSON.stringify(answer);
  const headers = {
    ...problem.headers,
    'content-type': 'application/problem+json',
    'content-length': String(Buffer.byteLength(body)),
  };
  if (to instanceof ServerResponse) {
    to.writeHead(problem.status, headers).end(body);
    return;
  }
  if (to.writable) {
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    to.write(
      `HTTP/1.1 ${problem.status} ${answer.title}\r\nconnection: close\r\n${head.join('')}\r\n${body}`,
    );
  }
  to.destroy();
}

/** The separate operations listener of an app created with `ops.port`, for `runService` to open. */
const opsListeners = new WeakMap<App, { app: App; port: number }>();
export function opsListenerOf(app: App): { app: App; port: number } | undefined {
  return opsListeners.get(app);
}

/**
 * The one way a Tiketi service is made: Fastify with zod schemas (validation, types and OpenAPI from the
 * same schema), problem+json errors, request ids and trace context, RED metrics, health and readiness.
 */
export async function createServer(options: ServerOptions): Promise<{ app: App; metrics: Metrics }> {
  const metrics = options.metrics ?? createMetrics(options.name);
  const readiness = options.readiness ?? {};
  if (options.outbox) registerOutboxMetrics(metrics, options.outbox, options.logger);
  const http = { ...defaultHttpSettings, ...options.http };
  // Headers arrive within the whole request's time, at the latest.
  const limits = {
    requestTimeoutMs: http.requestTimeoutMs,
    headersTimeoutMs: Math.min(http.headersTimeoutMs, http.requestTimeoutMs),
  };
  const fastify = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit ?? 1_048_576,
    trustProxy: http.trustedProxies,
    requestTimeout: limits.requestTimeoutMs,
    clientErrorHandler: clientErrorHandler(limits),
    http: {
      headersTimeout: limits.headersTimeoutMs,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
      // Node answers an HTTP/1.1 request without Host itself, with an empty 400: the `onRequest` hook below
      // refuses it instead.
      requireHostHeader: false,
    },
    requestIdHeader: false,
    // Fastify's own answer during a drain is JSON of its shape: the `onRequest` hook below answers instead.
    return503OnClosing: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // The router's own refusals (a path that does not decode, a path segment past the limit) are problems
    // like every other answer.
    frameworkErrors: (error, _req, reply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      void sendProblem(
        tooLong
          ? new HttpProblem(414, 'PATH_TOO_LONG', 'A part of the request path is too long.')
          : new HttpProblem(400, 'BAD_PATH', 'The request path is not valid (it does not decode).'),
        reply,
      );
    },
  });
  // Node answers an Expect it cannot meet (anything but 100-continue) itself, with an empty 417, before
  // any route or hook runs.
  fastify.server.on('checkExpectation', (req, res) =>
    writeProblem(
      res,
      new HttpProblem(
        417,
        'EXPECTATION_FAILED',
        'The only expectation met here is "Expect: 100-continue": send the request without its Expect header.',
      ),
      req.url?.split('?')[0],
    ),
  );
  // Without a listener Node closes a CONNECT (a proxy's tunnel request) without a word: nothing here tunnels.
  fastify.server.on('connect', (req, socket) =>
    writeProblem(
      socket,
      new HttpProblem(405, 'METHOD_NOT_ALLOWED', 'CONNECT is not served here: this is no proxy.'),
      req.url,
    ),
  );
  // Fastify refuses a body that could poison prototypes ("__proto__", "constructor" holding "prototype")
  // as not being JSON, which sends its sender looking for a syntax error that is not there.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  // Bytes that are not UTF-8 are refused, not decoded into U+FFFD and stored as if the caller had sent those.
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      done(notUtf8('body'), undefined);
      return;
    }
    parseJson(req, text, (error, value) => {
      const key = error ? forbiddenKey(text) : undefined;
      done(
        key ? new HttpProblem(400, 'MALFORMED_BODY', `The request body may not use the key ${key}.`) : error,
        value,
      );
    });
  });
  const app = fastify.withTypeProvider<ZodTypeProvider>() as unknown as App;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // Awaited so that routes added after this call are documented.
  await app.register(fastifySwagger, {
    openapi: { info: { title: `tiketi ${options.name}`, version: '1.0.0' } },
    transform: jsonSchemaTransform,
  });

  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (req, reply) => {
    const traceparent = req.headers.traceparent;
    const context = newContext(req.id, typeof traceparent === 'string' ? traceparent : undefined, {
      name: req.method,
      kind: SpanKind.SERVER,
      attributes: {
        'tiketi.service': options.name,
        'http.request.method': req.method,
        'url.path': req.url,
      },
    });
    enterContext(context);
    begun.set(req, { at: performance.now(), span: context.span });
    reply.header('x-request-id', req.id);
    // No parser here reads a compressed body: read as plain, it would be taken for what it is not.
    const coding = req.headers['content-encoding'];
    if (coding && coding.trim().toLowerCase() !== 'identity') {
      throw new HttpProblem(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `The request body may not be compressed (it came with Content-Encoding: ${coding}): send it as it is.`,
      );
    }
    if (req.raw.httpVersion === '1.1' && !req.headers.host) {
      throw new HttpProblem(400, 'MALFORMED_REQUEST', 'An HTTP/1.1 request must carry a Host header.');
    }
    // A request still arriving on an open connection while the instance drains: a retry reaches another
    // instance (the kit's client retries a 503 by itself).
    if (closing) {
      throw new HttpProblem(503, 'SHUTTING_DOWN', 'This instance is shutting down; please retry.', {
        headers: { 'retry-after': '1' },
        routine: true,
      });
    }
  });

  app.addHook('preValidation', refuseUnsafeRequestText);

  /**
   * The one line, metrics and span of a request that ended: answered (`status` as sent), or given up by
   * its client before an answer was written in full (499, nginx's "client closed request"). A client that
   * goes away is no failure of ours: its line is never an error, and it counts as no 5xx.
   */
  const ended = new WeakSet<object>();
  function requestEnded(req: FastifyRequest, status: number, ms: number) {
    if (ended.has(req)) return;
    ended.add(req);
    const route = req.routeOptions.url ?? 'unmatched';
    const labels = { method: req.method, route };
    metrics.http.requests.inc({ ...labels, status: String(status) });
    metrics.http.duration.observe(labels, ms / 1000);
    // One line per request, and so one per failure: what went wrong rides on it with the request id.
    const failure = status >= 500 ? failures.get(req) : undefined;
    const failed = status >= 500 && !failure?.routine;
    const span = begun.get(req)?.span;
    if (span) {
      span.updateName(`${req.method} ${route}`);
      span.setAttribute('http.route', route);
      span.setAttribute('http.response.status_code', status);
      if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
      endSpan(span);
    }
    if (failed) metrics.http.errors.inc({ ...labels, status: String(status) });
    const level = failed ? 'error' : status >= 500 ? 'warn' : http.requestLogLevel;
    if (failure || (route !== '/healthz' && route !== '/readyz' && route !== '/metrics')) {
      req.log[level](
        {
          method: req.method,
          url: req.url,
          route,
          status,
          ms: Math.round(ms),
          ...failure,
          ...(status === CLIENT_CLOSED ? { aborted: 'client closed the connection' } : {}),
        },
        'request',
      );
    }
  }

  app.addHook('onResponse', async (req, reply) => {
    // An answer cut off because the client left (its socket closed mid-write) is the client's doing.
    const cut = !reply.raw.writableFinished && req.raw.destroyed;
    requestEnded(req, cut ? CLIENT_CLOSED : reply.statusCode, reply.elapsedTime);
  });
  app.addHook('onRequestAbort', async (req) => {
    requestEnded(req, CLIENT_CLOSED, performance.now() - (begun.get(req)?.at ?? performance.now()));
  });

  answerWithProblems(app);

  if (options.ops?.port === undefined) {
    opsRoutes(app, { app, metrics, readiness, token: options.ops?.token });
  } else {
    const ops = Fastify({
      loggerInstance: options.logger,
      logController: new LogController({ disableRequestLogging: true }),
    }) as unknown as App;
    answerWithProblems(ops);
    opsRoutes(ops, { app, metrics, readiness });
    opsListeners.set(app, { app: ops, port: options.ops.port });
  }

  return { app, metrics };
}

/** Errors, and requests no route takes, are answered as problems. */
function answerWithProblems(target: App) {
  target.setErrorHandler((error: FastifyError, req, reply) => sendProblem(toProblem(error, req), reply));
  target.setNotFoundHandler((req, reply) => sendProblem(noRoute(req), reply));
}

function noRoute(req: FastifyRequest): HttpProblem {
  return new HttpProblem(404, 'ROUTE_NOT_FOUND', `No route for ${req.method} ${req.url.split('?')[0]}.`);
}

/**
 * Health, readiness, metrics and the OpenAPI document. Metrics and the document tell an attacker what
 * runs and how it is doing: on a port the public can reach, they need the operations token.
 */
function opsRoutes(
  target: App,
  parts: { app: App; metrics: Metrics; readiness: Record<string, ReadinessCheck>; token?: string },
) {
  const { app, metrics, readiness, token } = parts;
  const internalOnly = async (req: FastifyRequest) => {
    if (token !== undefined && !holdsToken(req, token)) {
      throw noRoute(req);
    }
  };
  target.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  target.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const results = await Promise.all(
      Object.entries(readiness).map(async ([name, check]) => {
        try {
          await withTimeout(check(), READINESS_TIMEOUT_MS, name);
          return [name, 'ok'] as const;
        } catch (error) {
          return [name, `failing: ${(error as Error).message}`] as const;
        }
      }),
    );
    const checks = Object.fromEntries(results);
    const ready = results.every(([, state]) => state === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
  target.get('/metrics', { schema: { hide: true }, onRequest: internalOnly }, async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  target.get('/docs/json', { schema: { hide: true }, onRequest: internalOnly }, async () => app.swagger());
}

/** The operations token as a bearer token, the one credential a Prometheus scrape config sends. */
function holdsToken(req: FastifyRequest, token: string): boolean {
  const given = req.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
  return given !== undefined && sameSecret(given, token);
}

/**
 * What went wrong in a request that failed on our side (5xx), kept until its one request line is written
 * (`onResponse`): an error logged where it is caught and again where it is answered reads as two failures.
 */
const failures = new WeakMap<object, { err?: unknown; code: string; routine?: true }>();

function toProblem(error: FastifyError, req: FastifyRequest): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = error.validationContext ?? 'body';
    const errors = error.validation.map((issue) => ({
      field: [where, ...issue.instancePath.split('/').filter(Boolean)].join('.'),
      message: issue.message ?? 'is invalid',
    }));
    // A body sent as plain text (what fetch() makes of a string without a Content-Type) is never read as
    // JSON: say what to change rather than that a string is not an object.
    const type = sentAs(req);
    if (where === 'body' && typeof req.body === 'string' && type !== 'application/json') {
      return problems.badRequest(
        `The request body must be JSON, sent with Content-Type: application/json (it came ${type ? `as ${type}` : 'without one'}).`,
        errors,
      );
    }
    const list = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    return problems.badRequest(`The request is invalid: ${list}`, errors);
  }
  if (isResponseSerializationError(error)) {
    // The answer did not match its own schema: a bug of ours, never shown to the caller.
    return new HttpProblem(500, 'INTERNAL', 'Something went wrong on our side.', { cause: error });
  }
  const status = error.statusCode ?? 500;
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    const type = sentAs(req);
    return new HttpProblem(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      type
        ? `This endpoint does not read a request body sent as ${type}.`
        : 'The request body came without a Content-Type: name its type (application/json).',
    );
  }
  if (status >= 400 && status < 500) {
    // Fastify's own client errors (bad JSON, body too large…) are safe to show.
    const code =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'BODY_TOO_LARGE' : clientCode(status, error.code);
    return new HttpProblem(status, code, error.message);
  }
  if (error.message?.includes('timeout exceeded when trying to connect')) {
    // Every database connection is busy: a moment of overload, not a bug. Tell the caller to retry.
    return new HttpProblem(503, 'SERVICE_BUSY', 'We are very busy right now; please retry in a moment.', {
      headers: { 'retry-after': '1' },
      cause: error,
    });
  }
  return new HttpProblem(500, 'INTERNAL', 'Something went wrong on our side.', { cause: error });
}

function clientCode(status: number, code: string | undefined): string {
  if (code?.startsWith('FST_ERR_CTP')) return 'MALFORMED_BODY';
  if (status === 429) return 'RATE_LIMITED';
  return 'BAD_REQUEST';
}

/** The media type a request body was sent as, without its parameters. */
function sentAs(req: FastifyRequest): string | undefined {
  return req.headers['content-type']?.split(';')[0]?.trim() || undefined;
}

/**
 * The key that made the JSON parser refuse `text` as poisoning prototypes, quoted as the caller sent it;
 * none when `text` is not JSON at all.
 */
function forbiddenKey(text: string): string | undefined {
  let found: string | undefined;
  try {
    JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__') found ??= '"__proto__"';
      else if (
        key === 'constructor' &&
        value &&
        typeof value === 'object' &&
        Object.hasOwn(value, 'prototype')
      )
        found ??= '"constructor" holding "prototype"';
      return value;
    });
  } catch {
    // Not JSON: Fastify's own refusal says so.
    return undefined;
  }
  return found;
}

/**
 * Answers with a problem+json. For a 5xx, its cause goes on the request's one log line: call this rather
 * than logging the failure as well.
 */
export function sendProblem(
  problem: HttpProblem,
  reply: FastifyReply<
    RouteGenericInterface,
    RawServerBase,
    RawRequestDefaultExpression<RawServerBase>,
    RawReplyDefaultExpression<RawServerBase>
  >,
) {
  const req = reply.request;
  if (problem.status >= 500) {
    failures.set(
      req,
      problem.routine
        ? { code: problem.code, routine: true }
        : { err: problem.cause ?? problem, code: problem.code },
    );
  }
  if (problem.headers) reply.headers(problem.headers);
  return reply
    .code(problem.status)
    .type('application/problem+json')
    .serializer(JSON.stringify)
    .send(problem.toProblem(req.url.split('?')[0]));
}

function withTimeout<T>(promise: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
