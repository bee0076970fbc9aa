import { buffer } from 'node:stream/consumers';
import cors from '@fastify/cors';
import httpProxy from '@fastify/http-proxy';
import rateLimit from '@fastify/rate-limit';
import type { ServiceName } from '@tiketi/contracts';
import {
  type AuthUser,
  attestToken,
  bearerToken,
  createAuth,
  createServer,
  HttpProblem,
  type HttpSettings,
  type Logger,
  notModified,
  pickEncoding,
  problems,
  propagationHeaders,
  type ReadinessCheck,
  type Redis,
  type SessionRevocations,
  sendProblem,
  TOKEN_ATTESTATION_HEADER,
} from '@tiketi/kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JSONWebKeySet } from 'jose';
import { hasDotSegments, ignoresBearer, isPublic, pathOf, routeFor, underPrefix } from './access.ts';
import { type RateLimitSettings, rateLimitGroups } from './rate-limits.ts';
import { type CachedResponse, KEPT_HEADERS, responseCache, sharedMaxAge } from './response-cache.ts';
import { routeTable } from './route-table.ts';
import { routeUpgrades } from './upgrades.ts';

export type GatewayDeps = {
  logger: Logger;
  /** Each service's URL, or the URLs of its instances (spread round-robin, websockets included). */
  upstreams: Partial<Record<ServiceName, string | string[]>>;
  /** The user service's JWKS URL, or a key set given directly (tests). */
  jwks: string | JSONWebKeySet;
  /** Rate-limit counters, shared by every gateway instance; without it they are per process. */
  redis?: Redis;
  readiness?: Record<string, ReadinessCheck>;
  /** Sessions ended before their tokens expire (the service's Redis); main.ts always passes it. */
  revocations?: SessionRevocations;
  /**
   * TOKEN_ATTESTATION_KEY: the gateway vouches to the services for each token it checked
   * (`TOKEN_ATTESTATION_HEADER`), so that the services that hold the key need not check it again.
   */
  attestationKey?: string;
  upstreamTimeoutMs?: number;
  /** Browser origins allowed to call the API. */
  webOrigins?: string[];
  bodyLimitBytes?: number;
  uploadBodyLimitBytes?: number;
  /** Timeouts, and the load balancers whose X-Forwarded-For is believed (default: nobody's). */
  http?: Partial<HttpSettings>;
  /** Where health, readiness, metrics and docs answer: never on the public port (0: any free port). */
  opsPort?: number;
  rateLimits?: Partial<RateLimitSettings>;
  /** Copies of shareable GET answers kept in memory (`Cache-Control: public`); off when maxEntries is 0. */
  responseCache?: { maxEntries: number; maxBytes: number; maxBodyBytes: number };
};

/** What reply-from hands `onResponse` (its types call it a server response). */
type UpstreamResponse = {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  stream: NodeJS.ReadableStream;
};

const DEFAULT_LIMITS: RateLimitSettings = {
  windowMs: 60_000,
  auth: 60,
  password: 10,
  queueJoin: 30,
  challenge: 60,
  general: 600,
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** An upgrade request (RFC 9110 §7.8): an Upgrade header that the Connection header names. */
function asksUpgrade(headers: FastifyRequest['headers']): boolean {
  const connection = headers.connection;
  return (
    Boolean(headers.upgrade) && typeof connection === 'string' && /(^|,)\s*upgrade\s*(,|$)/i.test(connection)
  );
}

function upgradeRefused() {
  return new HttpProblem(
    400,
    'UPGRADE_NOT_SUPPORTED',
    'Only /queue takes a protocol upgrade (its WebSocket).',
  );
}

/** An OPTIONS request is only ever a CORS preflight here, and a preflight names both headers. */
function badPreflight(missing: string[]) {
  const names = missing.map((name) => name.replace(/(^|-)[a-z]/g, (c) => c.toUpperCase()));
  return new HttpProblem(
    400,
    'BAD_PREFLIGHT',
    `An OPTIONS request is a CORS preflight, and this one has no ${names.join(' and no ')} header.`,
  );
}

function tooLarge(limit: number) {
  return new HttpProblem(413, 'BODY_TOO_LARGE', `The request body is larger than ${limit} bytes.`);
}

/**
 * The one public API: checks the caller's token early, rate-limits, then routes each path prefix to the
 * service that owns it. The bearer token is passed on untouched: services verify it themselves, so one
 * reached without the gateway is no weaker; those that hold the attestation key take the gateway's word
 * for a token it checked instead of checking its signature again.
 */
export async function buildApp(deps: GatewayDeps) {
  const bodyLimit = deps.bodyLimitBytes ?? 1_048_576;
  const uploadLimit = deps.uploadBodyLimitBytes ?? 10_485_760;
  const { app } = await createServer({
    name: 'gateway',
    logger: deps.logger,
    readiness: deps.readiness ?? {},
    bodyLimit,
    http: { trustedProxies: [], ...deps.http },
    ops: { port: deps.opsPort ?? 0 },
  });
  const auth = createAuth({ jwks: deps.jwks, revocations: deps.revocations });
  const { attestationKey } = deps;
  const upstreamTimeoutMs = deps.upstreamTimeoutMs ?? 10_000;
  const upgrades = routeUpgrades(app);
  const limits = { ...DEFAULT_LIMITS, ...deps.rateLimits };
  const cache = responseCache(
    deps.responseCache ?? { maxEntries: 1000, maxBytes: 33_554_432, maxBodyBytes: 262_144 },
  );
  // Admins see drafts in listings: their answers are never served from, or kept in, the shared copies.
  // Request Cache-Control is not honoured: a reload storm is exactly what the copies are for.
  const sharable = (req: Pick<FastifyRequest, 'method' | 'user'>) =>
    cache.enabled && req.method === 'GET' && req.user?.role !== 'admin';
  // A caller that already holds this version (its ETag) is told so, without the body.
  const unchanged = (
    req: Pick<FastifyRequest, 'headers'>,
    reply: { removeHeader(name: string): unknown; code(status: 304): { send(): unknown } },
    etag: string | string[] | undefined,
  ) => {
    if (typeof etag !== 'string' || !notModified(req, etag)) return false;
    reply.removeHeader('content-type');
    reply.removeHeader('content-encoding');
    reply.removeHeader('content-length');
    void reply.code(304).send();
    return true;
  };
  const sendCopy = (req: FastifyRequest, reply: FastifyReply, copy: CachedResponse) => {
    reply.headers({ ...copy.headers, age: String(cache.ageOf(copy)), 'x-cache': 'HIT' });
    if (unchanged(req, reply, copy.headers.etag)) return reply;
    return reply.code(copy.status).send(copy.body);
  };
  // Revalidations sent to the service as requests for the whole answer (see `revalidatesUpstream`).
  const askedWhole = new WeakSet<object>();
  /** What the service is told of a request besides what the client sent, HTTP and upgrades alike. */
  const forwardedHeaders = <H extends Record<string, unknown>>(
    req: Pick<FastifyRequest, 'id' | 'ip' | 'user' | 'headers'>,
    headers: H,
  ): H => {
    // `headers` is a copy of the request's, ours to change. Headers about the client's own connection to
    // the gateway (RFC 9110 §7.6.1) are not the service's: the HTTP client refuses a request that carries
    // them (`Expect`, `Upgrade`, `Keep-Alive`…).
    dropHopByHop(headers);
    // Internal routes are never reachable through here, but a client must not even try the header.
    delete headers['x-internal-token'];
    // Only the gateway vouches for a token, and only for one it checked on this request.
    delete headers[TOKEN_ATTESTATION_HEADER];
    const token = req.user && bearerToken(req.headers.authorization);
    if (attestationKey && token)
      Object.assign(headers, { [TOKEN_ATTESTATION_HEADER]: attestToken(attestationKey, token) });
    Object.assign(headers, propagationHeaders());
    // The services limit and log by the caller's address (the waiting room its sockets per address).
    Object.assign(headers, { 'x-request-id': req.id, 'x-forwarded-for': req.ip });
    return headers;
  };

  // The CORS plugin answers an OPTIONS that is no preflight in text of its own: refused here first.
  app.addHook('onRequest', async (req) => {
    if (req.method !== 'OPTIONS') return;
    const missing = ['origin', 'access-control-request-method'].filter((name) => !req.headers[name]);
    if (missing.length) throw badPreflight(missing);
  });
  await app.register(cors, {
    origin: deps.webOrigins ?? ['http://localhost:3000'],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: [
      'authorization',
      'content-type',
      'x-request-id',
      'x-queue-token',
      'idempotency-key',
      'x-altcha',
    ],
    exposedHeaders: [
      'x-request-id',
      'retry-after',
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
    ],
    maxAge: 600,
  });

  await app.register(rateLimit, {
    global: false,
    ...(deps.redis ? { redis: deps.redis } : {}),
    nameSpace: 'ratelimit:',
    // A Redis outage must not take the whole API down with it: requests pass uncounted meanwhile.
    skipOnError: true,
    errorResponseBuilder: (_req, context) =>
      problems.tooManyRequests(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
  // The caller whose token's signature held, for the limit counted while their session is looked up
  // (`req.user` is set only once that look-up has answered).
  const counted = new WeakMap<FastifyRequest, AuthUser>();
  const clientKey = (req: FastifyRequest, perIp: boolean) => {
    const caller = counted.get(req);
    return !perIp && caller ? `user:${caller.id}` : `ip:${req.ip}`;
  };
  const limiters = rateLimitGroups(limits).map((group) => ({
    group,
    check: app.rateLimit({
      max: group.max,
      timeWindow: limits.windowMs,
      keyGenerator: (req) => `${group.name}:${clientKey(req, group.perIp)}`,
    }),
  }));

  // Runs before routing to a service: refuse what could never succeed as early and cheaply as possible.
  app.addHook('onRequest', async (req, reply) => {
    if (req.method === 'OPTIONS') return;
    const path = pathOf(req.url);
    if (path === undefined || hasDotSegments(path)) {
      throw problems.badRequest('The request path is not valid.');
    }
    const route = routeFor(path);
    if (!route) return; // the gateway's own endpoints, or a 404
    // Only the waiting room's socket takes an upgrade: any other is answered (and its socket closed) here,
    // where the proxy would otherwise leave it open and unanswered.
    if (asksUpgrade(req.headers) && !route.websocket) throw upgradeRefused();
    const uploads = underPrefix(path, '/api/media');
    const length = Number(req.headers['content-length'] ?? 0);
    const limit = uploads ? uploadLimit : bodyLimit;
    if (length > limit) throw tooLarge(limit);

    const limiter = limiters.find((l) => l.group.matches(req.method, path));
    let countedOnce = false;
    // The plugin's hook is typed as a Fastify hook (bound to the instance); it never uses `this`.
    const count = async (caller?: AuthUser) => {
      if (!limiter || countedOnce) return;
      countedOnce = true;
      if (caller) counted.set(req, caller);
      await limiter.check.call(app, req, reply);
    };
    const required = !isPublic(req.method, path);
    const checked = required || (req.headers.authorization && !ignoresBearer(path));
    // A signed-in caller is counted once the token's signature holds, at the same time as the session's
    // revocation look-up (one Redis round trip for both); an anonymous one after the path checks. A
    // request refused for its token counts against its address: forged tokens are not tried for free.
    let caller: AuthUser | undefined;
    try {
      caller = checked ? await auth.checkWith(req, required, count) : undefined;
    } catch (error) {
      await count();
      if (reply.sent) return;
      throw error;
    }
    if (!caller) await count();
    if (reply.sent) return;
    // Only an operator uploads or deletes images: anyone else could never succeed, and is turned away
    // before a body of the upload size is read.
    if (uploads && !SAFE_METHODS.has(req.method) && caller?.role !== 'admin') {
      if (length > bodyLimit) throw tooLarge(bodyLimit);
      throw problems.forbidden('Only an operator may upload or delete images.');
    }
    const copy = sharable(req) ? cache.get(req.url, pickEncoding(req.headers['accept-encoding'])) : undefined;
    if (copy) return sendCopy(req, reply, copy);
  });

  for (const route of routeTable) {
    const instances = [deps.upstreams[route.service] ?? []].flat();
    if (!instances.length) continue;
    // Several instances: each request and each websocket goes to the next one. They share their state
    // (the waiting room's is in Redis), so no client needs to come back to the same instance.
    let turn = 0;
    const balanced =
      instances.length > 1
        ? { getUpstream: () => instances[turn++ % instances.length] as string }
        : undefined;
    const routeLimit = underPrefix(route.prefix, '/api/media') ? uploadLimit : bodyLimit;
    await app.register(async (scope) => {
      // The whole body is read here, within the request timeout and the size limit (413 past it, with or
      // without a Content-Length), before an upstream connection is taken: a client dribbling its body
      // holds only its own connection to the gateway, never one of the shared connections to a service.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: routeLimit }, (_req, body, done) =>
        done(null, body),
      );
      await scope.register(httpProxy, {
        // The body read above goes on as the bytes it is, in the same write as the request head, with its
        // exact Content-Length (reply-from sets it; a chunked request's Transfer-Encoding is dropped).
        // Without a Content-Type the bytes go as application/octet-stream (RFC 9110 §8.3), as reply-from
        // itself would label them.
        handler: (req, reply, dest, options) => {
          // The waiting room's socket: the service answers the upgrade, and only its 101 opens a socket.
          if (route.websocket && upgrades.asked(req)) {
            const upstream = options.getUpstream?.(req, '') ?? (instances[0] as string);
            const query = req.url.indexOf('?');
            const url = new URL(dest + (query === -1 ? '' : req.url.slice(query)), upstream);
            return upgrades
              .pass(req, reply, {
                url,
                headers: {
                  ...forwardedHeaders(req, { ...req.headers }),
                  host: url.host,
                  connection: 'Upgrade',
                  upgrade: req.headers.upgrade,
                },
                timeoutMs: upstreamTimeoutMs,
              })
              .then(
                // A refusal: its status, headers and body as the service gave them.
                (refused) =>
                  refused &&
                  reply
                    .code(refused.statusCode ?? 502)
                    .headers(withoutHopByHop(refused.headers))
                    .send(refused),
                (error: unknown) => {
                  throw upstreamFailure(route.service, error);
                },
              );
          }
          return reply.from(
            dest,
            Buffer.isBuffer(req.body)
              ? {
                  ...options,
                  body: req.body,
                  contentType: req.headers['content-type'] ?? 'application/octet-stream',
                }
              : options,
          );
        },
        upstream: balanced ? '' : (instances[0] as string),
        prefix: route.prefix,
        proxyPayloads: false,
        rewritePrefix: route.prefix,
        // The plugin's own websocket proxy accepts the client's socket before the service has answered
        // (a refusal then reaches the client as a socket closed with 1011): upgrades are passed on by the
        // handler above instead.
        websocket: false,
        disableRequestLogging: true,
        // undici rather than node:http: the lighter client, for the hop every request takes.
        undici: {
          headersTimeout: upstreamTimeoutMs,
          bodyTimeout: upstreamTimeoutMs,
        },
        replyOptions: {
          ...balanced,
          onResponse: (request, reply, raw) => {
            const res = raw as unknown as UpstreamResponse;
            const maxAge =
              res.statusCode === 200 && sharable(request)
                ? sharedMaxAge(res.headers['cache-control'])
                : undefined;
            const length = Number(res.headers['content-length']);
            const whole = askedWhole.has(request) && res.statusCode === 200;
            if (maxAge === undefined || !(length <= cache.maxBodyBytes)) {
              if (whole) {
                cache.notKept(request.url);
                if (unchanged(request, reply, res.headers.etag)) {
                  res.stream.resume();
                  return;
                }
              }
              void reply.send(res.stream);
              return;
            }
            buffer(res.stream).then(
              (body) => {
                const headers: Record<string, string> = {};
                for (const name of KEPT_HEADERS) {
                  const value = res.headers[name];
                  if (typeof value === 'string') headers[name] = value;
                }
                cache.set(
                  request.url,
                  pickEncoding(request.headers['accept-encoding']),
                  { status: 200, headers, body },
                  maxAge,
                );
                if (whole && unchanged(request, reply, headers.etag)) return;
                void reply.send(body);
              },
              (error: Error) => void reply.send(error),
            );
          },
          rewriteHeaders: withoutHopByHop,
          rewriteRequestHeaders: (req, headers) => {
            // reply-from hands a copy of the request's headers.
            forwardedHeaders(req, headers);
            // (If-Modified-Since goes too: a server ignores it beside If-None-Match, which the gateway
            // answers from the ETag.)
            if (sharable(req) && headers['if-none-match'] && !cache.revalidatesUpstream(req.url)) {
              delete headers['if-none-match'];
              delete headers['if-modified-since'];
              askedWhole.add(req);
            }
            return headers;
          },
          onError: (reply, { error }) => {
            void sendProblem(upstreamFailure(route.service, error), reply);
          },
        },
      });
    });
  }
  return app;
}

const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
];

/** A service that could not be reached (503), or did not answer in time (504), as the client is told. */
function upstreamFailure(service: ServiceName, error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  const status = (error as { statusCode?: number }).statusCode === 504 ? 504 : 503;
  return new HttpProblem(
    status,
    'UPSTREAM_UNAVAILABLE',
    `The ${service} service is not answering; please try again.`,
    {
      cause: error,
    },
  );
}

/**
 * The service's headers about its connection with the gateway (keep-alive with its timeout) are not the
 * client's: passed on, they would keep a client's connection open that asked to close.
 */
function withoutHopByHop<H extends Record<string, unknown>>(headers: H): H {
  const own = { ...headers };
  dropHopByHop(own);
  return own;
}

/** Removes the hop-by-hop headers, and those the request's Connection header names as such. */
function dropHopByHop(headers: Record<string, unknown>): void {
  const named = headers.connection;
  if (typeof named === 'string') {
    for (const name of named.split(',')) delete headers[name.trim().toLowerCase()];
  }
  for (const name of HOP_BY_HOP) delete headers[name];
}
