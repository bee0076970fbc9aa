import {
  type Bus,
  type ConfiguredAuthDeps,
  configuredAuth,
  createHttpClient,
  createServiceServer,
  type Kysely,
  type Redis,
  type ServiceDeps,
} from '@tiketi/kit';
import { admissionRegister } from './cache/admissions.ts';
import { seatCache } from './cache/seat-cache.ts';
import { seatLocks } from './cache/seat-locks.ts';
import { createUserClient } from './clients/user.client.ts';
import type { ReservationConfig } from './config.ts';
import { eventRepository } from './db/event.repository.ts';
import { reportRepository } from './db/report.repository.ts';
import { reservationRepository } from './db/reservation.repository.ts';
import type { DB } from './db/schema.ts';
import { standingRepository } from './db/standing.repository.ts';
import { ticketRepository } from './db/ticket.repository.ts';
import { voucherRepository } from './db/voucher.repository.ts';
import { waitlistRepository } from './db/waitlist.repository.ts';
import { eventReactions } from './domain/event-reactions.ts';
import { expireDueHolds, expirySweeper } from './domain/expiry-sweeper.ts';
import { holdRelease } from './domain/hold-release.ts';
import { holdService } from './domain/holds.ts';
import { pdfRenderer } from './domain/pdf-renderer.ts';
import { redisSyncAfterCommit } from './domain/redis-sync.ts';
import { reservationMetrics } from './domain/reservation.metrics.ts';
import { reservationLifecycle } from './domain/reservation-lifecycle.ts';
import { reservationQueries } from './domain/reservation-queries.ts';
import { eventSheetSource, saleInfoSource } from './domain/sale-info.ts';
import { salesReportService } from './domain/sales-report.service.ts';
import { seatMapService } from './domain/seat-map.service.ts';
import { soldOutWatch } from './domain/sold-out-watch.ts';
import { ticketService } from './domain/ticket.service.ts';
import { voucherService } from './domain/voucher.service.ts';
import { waitlistOffers, waitlistService } from './domain/waitlist.service.ts';
import { eventHandlers, startConsumers } from './events/consumers.ts';
import { internalRoutes } from './routes/internal.routes.ts';
import { reportRoutes } from './routes/report.routes.ts';
import { reservationRoutes } from './routes/reservations.routes.ts';
import { seatRoutes } from './routes/seats.routes.ts';
import { ticketRoutes } from './routes/tickets.routes.ts';
import { voucherAttemptLimit } from './routes/voucher-limit.ts';
import { voucherRoutes } from './routes/vouchers.routes.ts';
import { waitlistRoutes } from './routes/waitlist.routes.ts';

export type ReservationAppDeps = ServiceDeps &
  ConfiguredAuthDeps & {
    config: ReservationConfig;
    db: Kysely<DB>;
    redis: Redis;
    /** Without a bus the service serves HTTP and sweeps, but consumes no events. */
    bus?: Bus | undefined;
  };

/**
 * Builds the reservation service from open connections; opens nothing itself. `start` begins the
 * background work (event consumers, the expiry sweeper), `stop` ends it.
 */
export async function buildApp(deps: ReservationAppDeps) {
  const { config, db, redis, bus, logger } = deps;
  const { app, metrics } = await createServiceServer('reservation', deps, {
    outbox: db,
    bodyLimit: config.BODY_LIMIT_BYTES,
  });
  const auth = configuredAuth(config, deps);

  const events = eventRepository(db);
  const cache = seatCache(redis, { ttlSeconds: config.SEAT_CACHE_TTL_SECONDS, logger });
  const locks = config.SEAT_LOCKS ? seatLocks(redis, config.HOLD_TTL_SECONDS) : undefined;
  const repos = {
    reservations: reservationRepository(db),
    tickets: ticketRepository(db),
    standing: standingRepository(db),
    vouchers: voucherRepository(db),
  };
  const business = reservationMetrics({ metrics, holdFigures: repos.reservations.holdFigures, logger });
  const syncRedis = business.countingSales(
    redisSyncAfterCommit({ cache, locks: seatLocks(redis, config.HOLD_TTL_SECONDS), logger }),
  );
  const eventService = createHttpClient({
    baseUrl: config.EVENT_SERVICE_URL,
    name: 'event service',
    timeoutMs: config.EVENT_SERVICE_TIMEOUT_MS,
    retries: 1,
  });
  const sales = saleInfoSource({ events, eventService, cacheMs: config.SALE_INFO_CACHE_MS });
  const waitlistRepo = waitlistRepository(db);
  const rules = {
    holdTtlSeconds: config.HOLD_TTL_SECONDS,
    holdMaxSeconds: config.HOLD_MAX_SECONDS,
    maxSeatsPerRequest: config.MAX_SEATS_PER_REQUEST,
    unpaid: { limit: config.UNPAID_HOLDS_PER_SEAT, windowMs: config.UNPAID_HOLD_WINDOW_MS },
    queueTokenSecret: config.QUEUE_TOKEN_SECRET,
    ticketSigningSecret: config.TICKET_SIGNING_SECRET,
  };
  // The reservation use cases share the repositories, the waiting list's offers, the release of seats and
  // the Redis update after each commit.
  const offers = waitlistOffers({ waitlist: waitlistRepo, logger });
  const shared = { db, ...repos, offers, syncRedis, rules, logger };
  const release = holdRelease(shared);
  const holds = holdService({ ...shared, sales, locks, admissions: admissionRegister(redis) });
  const queries = reservationQueries(shared);
  const lifecycle = reservationLifecycle({ ...shared, release });
  const reactions = eventReactions({ ...shared, waitlist: waitlistRepo, release, lifecycle });
  const vouchers = voucherService({ db, vouchers: repos.vouchers, reservations: repos.reservations });
  const waitlist = waitlistService({
    db,
    waitlist: waitlistRepo,
    cancelOffer: lifecycle.cancelIn,
    syncRedis,
  });
  const seatMap = seatMapService({ events, cache, sales });
  const pdf = pdfRenderer({ threads: config.TICKET_PDF_THREADS, metrics });
  const tickets = ticketService({
    tickets: repos.tickets,
    events,
    eventSheet: eventSheetSource(eventService),
    signingSecret: config.TICKET_SIGNING_SECRET,
    checkInOpensMinutesBefore: config.CHECK_IN_OPENS_MINUTES_BEFORE,
    logger,
    pdf,
    users: createUserClient({ baseUrl: config.USER_SERVICE_URL, internalToken: config.INTERNAL_TOKEN }),
  });
  const consumerDeps = { db, waitlist: waitlistRepo, events, reactions, cache, sales, syncRedis };
  const handlers = eventHandlers(consumerDeps);
  const sweeper = expirySweeper({
    sweep: expireDueHolds({ ...shared, release }),
    intervalMs: config.SWEEP_INTERVAL_MS,
    batchSize: config.SWEEP_BATCH_SIZE,
    logger,
    metrics,
  });

  const soldOut =
    config.SOLD_OUT_CHECK_INTERVAL_MS > 0
      ? soldOutWatch({ db, events, intervalMs: config.SOLD_OUT_CHECK_INTERVAL_MS, logger, metrics })
      : undefined;

  seatRoutes(app, seatMap, auth);
  const voucherLimit = await voucherAttemptLimit(app, redis, {
    perAccount: config.VOUCHER_ATTEMPTS_PER_ACCOUNT,
    windowMs: config.VOUCHER_ATTEMPT_WINDOW_MS,
  });
  reservationRoutes(app, { holds, queries, lifecycle, vouchers, voucherLimit }, auth);
  voucherRoutes(app, vouchers, auth);
  reportRoutes(app, salesReportService(reportRepository(db)), auth);
  ticketRoutes(app, tickets, auth);
  internalRoutes(app, { queries, lifecycle }, auth);
  waitlistRoutes(app, waitlist, auth);

  return {
    app,
    /** The event handlers, callable directly with an envelope (tests, replays). */
    handlers,
    async start() {
      if (bus) await startConsumers(bus, consumerDeps, handlers);
      sweeper.start();
      soldOut?.start();
    },
    async stop() {
      await sweeper.stop();
      await soldOut?.stop();
      await pdf.close();
    },
  };
}

export type ReservationApp = Awaited<ReturnType<typeof buildApp>>;
