import { createAdapter } from '@socket.io/redis-streams-adapter';
import {
  type AuthOptions,
  type Bus,
  createAuth,
  createChallenges,
  createServiceServer,
  type Redis,
  type ServiceDeps,
} from '@tiketi/kit';
import { eventServiceClient } from './clients/event-service.client.ts';
import { reservationServiceClient } from './clients/reservation-service.client.ts';
import type { Config } from './config.ts';
import { challengeRepository } from './db/challenge.repository.ts';
import { waitingRoomRepository } from './db/waiting-room.repository.ts';
import { createAdmissionLoop } from './domain/admission-loop.ts';
import { createBotDefence } from './domain/bot-defence.ts';
import { createPresence } from './domain/presence.ts';
import { createSeatsLeft } from './domain/seats-left.ts';
import { createWaitingRoom } from './domain/waiting-room.ts';
import { subscribeBotDefence } from './events/bot-defence.consumer.ts';
import { subscribeWaitingRoom } from './events/waiting-room.consumer.ts';
import { attachQueueSockets } from './realtime/queue.socket.ts';
import { connectionLeases } from './realtime/socket-limits.ts';
import { challengeRoutes } from './routes/challenge.routes.ts';
import { queueRoutes } from './routes/queue.routes.ts';

export type QueueDeps = ServiceDeps & {
  config: Pick<
    Config,
    | 'REDIS_PREFIX'
    | 'QUEUE_TOKEN_SECRET'
    | 'EVENT_SERVICE_URL'
    | 'RESERVATION_SERVICE_URL'
    | 'INTERNAL_TOKEN'
    | 'SEATS_LEFT_REFRESH_MS'
    | 'ADMISSION_TTL_SECONDS'
    | 'ADMISSION_TICK_MS'
    | 'ADMISSIONS_PER_TICK_MAX'
    | 'ABANDON_GRACE_MS'
    | 'ADMITTED_IDLE_MS'
    | 'PRESENCE_REFRESH_MS'
    | 'PROGRESS_HEARTBEAT_MS'
    | 'PROGRESS_MIN_GAP_MS'
    | 'PROGRESS_PUSHES_PER_SECOND'
    | 'CHALLENGE_HMAC_KEY'
    | 'CHALLENGE_TTL_SECONDS'
    | 'CHALLENGE_MAX_NUMBER'
    | 'CHALLENGE_SPIKE_JOINS_PER_SECOND'
    | 'CHALLENGE_SPIKE_MAX_FACTOR'
    | 'SOCKETS_PER_USER'
    | 'SOCKETS_PER_ADDRESS'
    | 'SOCKET_MESSAGES_PER_SECOND'
    | 'SOCKET_MESSAGE_STRIKES'
    | 'SOCKET_SESSION_CHECK_MS'
  >;
  auth: AuthOptions;
  /** The service's Redis (key prefix applied): the waiting room's state. */
  redis: Redis;
  /**
   * A Redis connection without key prefix for the Socket.IO adapter, which shares broadcasts between
   * instances over a Redis stream (it picks up where it was after a reconnect). Without it, one instance.
   */
  adapterRedis?: Redis;
  /** Catalogue and reservation events; without it, settings come from the event service only. */
  bus?: Bus;
};

/** Builds the queue service from its dependencies; background work begins with `start()`. */
export async function buildApp(deps: QueueDeps) {
  const { config, logger } = deps;
  const { app, metrics } = await createServiceServer('queue', deps);
  const auth = createAuth(deps.auth);
  const repo = waitingRoomRepository(deps.redis);
  const reservations = reservationServiceClient({
    baseUrl: config.RESERVATION_SERVICE_URL,
    internalToken: config.INTERNAL_TOKEN,
  });
  const room = createWaitingRoom({
    repo,
    events: eventServiceClient(config.EVENT_SERVICE_URL),
    reservations,
    tokenSecret: config.QUEUE_TOKEN_SECRET,
    admittedIdleMs: config.ADMITTED_IDLE_MS,
  });
  const joinCounts = challengeRepository(deps.redis);
  const defence = createBotDefence({
    challenges: createChallenges({
      hmacKey: config.CHALLENGE_HMAC_KEY,
      ttlSeconds: config.CHALLENGE_TTL_SECONDS,
      redis: deps.redis,
    }),
    repo: joinCounts,
    rule: {
      defaultMaxNumber: config.CHALLENGE_MAX_NUMBER,
      spikeJoinsPerSecond: config.CHALLENGE_SPIKE_JOINS_PER_SECOND,
      maxFactor: config.CHALLENGE_SPIKE_MAX_FACTOR,
    },
  });
  challengeRoutes(app, defence);

  const presence = createPresence({ repo, metrics, logger, refreshMs: config.PRESENCE_REFRESH_MS });
  const leases = connectionLeases(deps.redis, {
    perUser: config.SOCKETS_PER_USER,
    perAddress: config.SOCKETS_PER_ADDRESS,
    renewMs: config.PRESENCE_REFRESH_MS,
    logger,
    metrics,
  });
  const stream = `${config.REDIS_PREFIX}queue:socket.io`;
  const { io, notifier, sessionCheck } = attachQueueSockets(app.server, {
    auth,
    room,
    presence,
    leases,
    messages: { perSecond: config.SOCKET_MESSAGES_PER_SECOND, strikes: config.SOCKET_MESSAGE_STRIKES },
    sessions: { revocations: deps.auth.revocations, checkMs: config.SOCKET_SESSION_CHECK_MS },
    logger,
    metrics,
    adapter: deps.adapterRedis
      ? createAdapter(deps.adapterRedis, { streamName: stream, channelPrefix: stream, blockTimeInMs: 1000 })
      : undefined,
  });
  queueRoutes(app, auth, room, defence.joinGuard, notifier);
  const loop = createAdmissionLoop({
    repo,
    notifier,
    seatsLeft: createSeatsLeft({
      read: reservations.seatsLeft,
      refreshMs: config.SEATS_LEFT_REFRESH_MS,
      logger,
    }),
    metrics,
    logger,
    options: {
      tickMs: config.ADMISSION_TICK_MS,
      tokenSecret: config.QUEUE_TOKEN_SECRET,
      admissionTtlMs: config.ADMISSION_TTL_SECONDS * 1000,
      abandonGraceMs: config.ABANDON_GRACE_MS,
      admittedIdleMs: config.ADMITTED_IDLE_MS,
      heartbeatMs: config.PROGRESS_HEARTBEAT_MS,
      maxPerTick: config.ADMISSIONS_PER_TICK_MAX,
      progressGapMs: config.PROGRESS_MIN_GAP_MS,
      progressPushesPerSecond: config.PROGRESS_PUSHES_PER_SECOND,
    },
  });

  // Closing the transports (not disconnecting the sockets) lets clients reconnect by themselves, to
  // another instance, keeping their place.
  app.addHook('preClose', async () => {
    io.engine.close();
  });
  app.addHook('onClose', async () => {
    await Promise.all([loop.stop(), presence.stop(), leases.stop(), sessionCheck.stop()]);
    await joinCounts.flushJoinCounts();
    await io.close();
  });

  return {
    app,
    io,
    /** Runs one admission step now. */
    step: () => loop.step(),
    async start() {
      if (deps.bus) await subscribeWaitingRoom(deps.bus, room, notifier);
      if (deps.bus) await subscribeBotDefence(deps.bus, defence);
      loop.start();
      presence.start();
      leases.start();
      sessionCheck.start();
    },
    async stop() {
      await Promise.all([presence.stop(), leases.stop(), loop.stop(), sessionCheck.stop()]);
    },
  };
}

export type QueueService = Awaited<ReturnType<typeof buildApp>>;
