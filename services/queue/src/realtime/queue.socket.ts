import type { Server as HttpServer } from 'node:http';
import { canonicalId, QUEUE_SOCKET, type QueueStatus } from '@tiketi/contracts';
import { type Auth, HttpProblem, type Logger, refuseUnsafeText } from '@tiketi/kit';
import { Server } from 'socket.io';
import { z } from 'zod';
import type { QueueNotifier } from '../domain/admission-loop.ts';
import type { Presence } from '../domain/presence.ts';
import type { WaitingRoom } from '../domain/waiting-room.ts';

const handshake = z.object({ token: z.string().min(1), eventId: canonicalId() });

type SocketData = { userId: string; eventId: string; status: QueueStatus };
type ClientEvents = { status: (ack: (answer: QueueStatus | { error: ProblemBrief }) => void) => void };
type ProblemBrief = { status: number; code: string; detail: string };

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
    logger: Logger;
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
      ...(deps.adapter ? { adapter: deps.adapter } : {}),
    },
  );

  io.use((socket, next) => {
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
        socket.data = { userId: user.id, eventId: given.data.eventId, status };
        next();
      })
      .catch((error: unknown) => next(refusal(error)));
  });

  io.on('connection', (socket) => {
    const { userId, eventId, status } = socket.data;
    void socket.join([eventRoom(eventId), userRoom(eventId, userId)]);
    deps.presence.add(eventId, userId);
    socket.emit(QUEUE_SOCKET.status, status);
    socket.on(QUEUE_SOCKET.status, (ack) => {
      if (typeof ack !== 'function') return;
      deps.room.status(eventId, userId).then(ack, (error: unknown) => ack({ error: brief(error) }));
    });
    socket.on('disconnect', () => {
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
  };
  return { io, notifier };
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
