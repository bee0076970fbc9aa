import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import { canonicalId, QUEUE_SOCKET, type QueueStatus } from '@tiketi/contracts';
import {
  type Auth,
  HttpProblem,
  type Logger,
  type Metrics,
  periodicJob,
  problems,
  refuseUnsafeText,
  type SessionRevocations,
  tokenExpiresAt,
  writeProblem,
} from '@tiketi/kit';
import { Server, type Socket } from 'socket.io';
import { z } from 'zod';
import type { QueueNotifier } from '../domain/admission-loop.ts';
import type { Presence } from '../domain/presence.ts';
import type { WaitingRoom } from '../domain/waiting-room.ts';
import { type ConnectionLeases, messageBudget } from './socket-limits.ts';

const handshake = z.object({ token: z.string().min(1), eventId: canonicalId() });

type SocketData = {
  userId: string;
  eventId: string;
  sessionId: string | undefined;
  /** When the access token the socket was opened with expires (ms since the epoch). */
  tokenExpiresAt: number;
  status: QueueStatus;
};
type ClientEvents = { status: (ack: (answer: QueueStatus | { error: ProblemBrief }) => void) => void };
type ProblemBrief = { status: number; code: string; detail: string };
type QueueSocket = Socket<ClientEvents, Record<string, (message: unknown) => void>, object, SocketData>;

const HANDSHAKES_PER_CONNECTION = 5;

const eventRoom = (eventId: string) => `event:${eventId}`;
const userRoom = (eventId: string, userId: string) => `user:${eventId}:${userId}`;

/**
 * Socket.IO at path `/queue`, websocket only (no sticky sessions needed behind a balancer). A socket
 * watches one event for one signed-in user who already holds a place; it sits in the event's room for
 * the shared progress broadcasts and in a room of its own for the admission.
 */
export function attachQueueSockets(
  httpServer: HttpServer,
  deps: {
    auth: Auth;
    room: WaitingRoom;
    presence: Presence;
    leases: ConnectionLeases;
    messages: { perSecond: number; strikes: number };
    /** Sessions ended since their sockets connected (sign-outs), looked for every `checkMs`. */
    sessions: { revocations: SessionRevocations | undefined; checkMs: number };
    logger: Logger;
    metrics: Metrics;
    // biome-ignore lint/suspicious/noExplicitAny: Socket.IO types its adapter factory loosely.
    adapter?: any;
  },
) {
  const io = new Server<ClientEvents, Record<string, (message: unknown) => void>, object, SocketData>(
    httpServer,
    {
      path: QUEUE_SOCKET.path,
      transports: ['websocket'],
      serveClient: false,
      // engine.io checks the protocol of a websocket only once it has accepted it, and then writes its
      // refusal into the open websocket as if it were HTTP: an older client is refused while it still asks.
      allowRequest: (req, answer) =>
        answer(OLD_PROTOCOL, new URL(req.url ?? '/', 'http://queue').searchParams.get('EIO') === '4'),
      ...(deps.adapter ? { adapter: deps.adapter } : {}),
    },
  );
  answerRefusals(io.engine);

  // Handshakes per connection: a client may send another after a refusal (a refreshed token), but each
  // costs a token check, so a connection that keeps sending them is closed.
  const handshakes = new WeakMap<object, number>();
  io.use((socket, next) => {
    const tries = (handshakes.get(socket.conn) ?? 0) + 1;
    handshakes.set(socket.conn, tries);
    if (tries > HANDSHAKES_PER_CONNECTION) {
      socket.conn.close();
      return;
    }
    try {
      refuseUnsafeText(socket.handshake.auth, 'auth');
    } catch (error) {
      next(refusal(error));
      return;
    }
    const given = handshake.safeParse(socket.handshake.auth);
    if (!given.success) {
      next(refusal(new HttpProblem(400, 'BAD_HANDSHAKE', 'Connect with auth: { token, eventId }.')));
      return;
    }
    deps.auth
      .verify(given.data.token)
      .then(async (user) => {
        const status = await deps.room.status(given.data.eventId, user.id);
        const claimed = await deps.leases.claim({
          id: socket.id,
          userId: user.id,
          address: clientAddress(socket.handshake),
        });
        if (claimed !== 'ok') {
          throw new HttpProblem(
            429,
            'TOO_MANY_CONNECTIONS',
            claimed === 'user'
              ? 'You have too many waiting-room connections open: close another tab first.'
              : 'Too many waiting-room connections come from your network right now: try again shortly.',
          );
        }
        socket.data = {
          userId: user.id,
          eventId: given.data.eventId,
          sessionId: user.sessionId,
          tokenExpiresAt: tokenExpiresAt(given.data.token),
          status,
        };
        // A client gone during the handshake never becomes a connection, whose end gives the lease back.
        if (socket.conn.readyState !== 'open') {
          await deps.leases.release(socket.id);
          return;
        }
        next();
      })
      .catch((error: unknown) => next(refusal(error)));
  });

  /**
   * A socket whose session ended, or whose access token expired, is told why, then closed: a signed-out
   * fan's reconnection is refused, a fan whose token merely expired reconnects with a refreshed one.
   */
  const refuseFurther = (socket: Pick<QueueSocket, 'emit' | 'disconnect'>, problem: HttpProblem) => {
    socket.emit(QUEUE_SOCKET.error, brief(problem));
    socket.disconnect(true);
  };
  const tokenExpired = () => problems.unauthorized('The access token has expired.');
  const { revocations } = deps.sessions;

  /*
   * A signed-out fan's sockets would go on hearing the room until they close, and so would a socket opened
   * with an access token long expired (a token lives minutes; a copied one must not buy hours of the fan's
   * room, admission included). The handshake checked both; afterwards every socket of this instance is
   * looked at on one timer, all their sessions read from Redis in batches (a few commands a pass for tens
   * of thousands of sockets, never one per socket), and each message the socket sends is checked as an HTTP
   * request would be.
   */
  const sessionCheck = periodicJob({
    name: 'socket session check',
    intervalMs: deps.sessions.checkMs,
    logger: deps.logger,
    metrics: deps.metrics,
    pass: async () => {
      const now = Date.now();
      const sockets = [...io.of('/').sockets.values()];
      for (const socket of sockets) {
        if (socket.data.tokenExpiresAt <= now) refuseFurther(socket, tokenExpired());
      }
      if (!revocations) return;
      const open = sockets.filter((socket) => socket.connected);
      const sessions = new Set(open.flatMap((socket) => socket.data.sessionId ?? []));
      if (sessions.size === 0) return;
      const ended = await revocations.endedAmong([...sessions]);
      for (const socket of open) {
        if (socket.data.sessionId && ended.has(socket.data.sessionId)) {
          refuseFurther(socket, problems.sessionEnded());
        }
      }
    },
  });

  io.on('connection', (socket) => {
    const { userId, eventId, sessionId, status } = socket.data;
    void socket.join([eventRoom(eventId), userRoom(eventId, userId)]);
    deps.presence.add(eventId, userId);
    socket.emit(QUEUE_SOCKET.status, status);
    const budget = messageBudget({
      perSecond: deps.messages.perSecond,
      burst: deps.messages.perSecond * 2,
      strikes: deps.messages.strikes,
    });
    socket.use((packet, next) => {
      const verdict = budget();
      if (verdict === 'ok') {
        if (socket.data.tokenExpiresAt <= Date.now()) {
          const ack = packet.at(-1);
          if (typeof ack === 'function') ack({ error: brief(tokenExpired()) });
          refuseFurther(socket, tokenExpired());
          return;
        }
        if (!sessionId || !revocations) {
          next();
          return;
        }
        revocations.isRevoked(sessionId).then(
          (ended) => {
            if (!ended) {
              next();
              return;
            }
            const ack = packet.at(-1);
            if (typeof ack === 'function') ack({ error: brief(problems.sessionEnded()) });
            refuseFurther(socket, problems.sessionEnded());
          },
          (error: Error) => {
            deps.logger.warn({ err: error.message }, 'could not check a socket session; the message goes on');
            next();
          },
        );
        return;
      }
      socket.emit(QUEUE_SOCKET.error, {
        status: 429,
        code: 'RATE_LIMITED',
        detail: 'Too many messages: the page updates by itself, there is no need to ask.',
      });
      if (verdict === 'cut') socket.disconnect(true);
    });
    socket.on(QUEUE_SOCKET.status, (ack) => {
      if (typeof ack !== 'function') return;
      deps.room.status(eventId, userId).then(ack, (error: unknown) => ack({ error: brief(error) }));
    });
    socket.on('disconnect', () => {
      deps.leases.release(socket.id).catch((error: Error) => {
        deps.logger.warn({ err: error.message }, 'could not give a socket lease back');
      });
      deps.presence.remove(eventId, userId).catch((error: Error) => {
        deps.logger.warn({ err: error.message }, 'could not record a waiter leaving');
      });
    });
  });

  const notifier: QueueNotifier = {
    progress: (eventId, message) => io.to(eventRoom(eventId)).emit(QUEUE_SOCKET.progress, message),
    admitted: (eventId, userId, message) =>
      io.to(userRoom(eventId, userId)).emit(QUEUE_SOCKET.admitted, message),
    cancelled: (eventId, message) => io.to(eventRoom(eventId)).emit(QUEUE_SOCKET.cancelled, message),
    closed: (eventId, message) => io.to(eventRoom(eventId)).emit(QUEUE_SOCKET.closed, message),
    left: (eventId, userId, message) => io.to(userRoom(eventId, userId)).emit(QUEUE_SOCKET.left, message),
  };
  return { io, notifier, sessionCheck };
}

/** What engine.io tells of a request it refused (`connection_error`), before it answers it itself. */
type EngineRefusal = {
  req: IncomingMessage & { res?: ServerResponse; websocket?: unknown };
  code: number;
  context?: { name?: string; message?: string };
};

const OLD_PROTOCOL = 'OLD_PROTOCOL';

/**
 * engine.io answers a request it cannot serve in a shape of its own (JSON for a request, text for an
 * upgrade), but tells `connection_error` first and adds nothing to an answer already given: the refusal
 * is answered here as every other one. A websocket already accepted has no HTTP answer left to give.
 */
function answerRefusals(engine: {
  on(event: 'connection_error', listener: (refusal: EngineRefusal) => void): unknown;
}) {
  engine.on('connection_error', ({ req, code, context }) => {
    const problem = new HttpProblem(400, 'SOCKET_HANDSHAKE_REFUSED', refusalDetail(code, context));
    const path = req.url?.split('?')[0];
    if (req.res) {
      if (!req.res.headersSent) writeProblem(req.res, problem, path);
    } else if (!req.websocket) {
      writeProblem(req.socket, problem, path);
    }
  });
}

/** Why engine.io refused, by its error codes (0 to 5) and, for a bad request, the name of the check. */
function refusalDetail(code: number, context: EngineRefusal['context']): string {
  if (code === 5 || context?.message === OLD_PROTOCOL)
    return 'The waiting room speaks Engine.IO protocol 4 only (EIO=4: a Socket.IO client of version 3 or later).';
  if (code === 0) return 'The waiting room connects over WebSocket only (transport=websocket).';
  if (code === 1)
    return 'No waiting-room connection has this sid (it ended, or is held by another instance): open a new one.';
  if (code === 2) return 'A waiting-room connection opens with GET.';
  switch (context?.name) {
    case 'TRANSPORT_HANDSHAKE_ERROR':
      return 'A waiting-room connection opens as a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket).';
    case 'INVALID_ORIGIN':
      return 'The Origin header is not valid.';
    case 'TRANSPORT_MISMATCH':
    case 'PROTOCOL_MISMATCH':
      return 'The request does not match the connection its sid names.';
    default:
      return 'The waiting room could not open this connection.';
  }
}

/** The gateway puts the caller's address first in X-Forwarded-For (services trust it, as for HTTP). */
function clientAddress(handshake: {
  headers: Record<string, string | string[] | undefined>;
  address: string;
}) {
  const forwarded = handshake.headers['x-forwarded-for'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return first || handshake.address;
}

function brief(error: unknown): ProblemBrief {
  if (error instanceof HttpProblem) return { status: error.status, code: error.code, detail: error.message };
  return { status: 500, code: 'INTERNAL', detail: 'Something went wrong on our side.' };
}

/** A refused handshake: the client's `connect_error` carries the problem in `data`. */
function refusal(error: unknown): Error & { data: ProblemBrief } {
  const problem = brief(error);
  return Object.assign(new Error(problem.detail), { data: problem });
}
