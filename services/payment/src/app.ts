import {
  type Bus,
  type ConfiguredAuthDeps,
  configuredAuth,
  createServiceServer,
  type Kysely,
  periodicJob,
  type ServiceDeps,
} from '@tiketi/kit';
import { createTossClient, type TossClient } from '@tiketi/toss';
import { type ReservationClient, reservationClient } from './clients/reservation.client.ts';
import type { PaymentConfig } from './config.ts';
import { eventScheduleRepository } from './db/event-schedule.repository.ts';
import { idempotencyRepository } from './db/idempotency.repository.ts';
import { paymentRepository } from './db/payment.repository.ts';
import type { DB } from './db/schema.ts';
import { cancellationRefunds } from './domain/cancellation-refunds.ts';
import { checkoutService } from './domain/checkout.service.ts';
import { idempotentRequests } from './domain/idempotency.ts';
import { paymentMetrics } from './domain/metrics.ts';
import { paymentsService } from './domain/payments.service.ts';
import { reconciler } from './domain/reconciler.ts';
import { settlement } from './domain/settlement.ts';
import { startConsumers } from './events/consumers.ts';
import { paymentRoutes } from './routes/payments.routes.ts';

export type PaymentAppDeps = ServiceDeps &
  ConfiguredAuthDeps & {
    config: PaymentConfig;
    db: Kysely<DB>;
    /** Without a bus the service serves HTTP and reconciles, but consumes no events. */
    bus?: Bus | undefined;
    /** Defaults to a client for config.TOSS_API_URL. */
    toss?: TossClient;
    /** Defaults to a client for config.RESERVATION_SERVICE_URL. */
    reservations?: ReservationClient;
    now?: () => Date;
  };

/**
 * Builds the payment service from open connections; opens nothing itself. `start` begins the background
 * work (event consumer, reconciliation, refunds of cancelled events), `stop` ends it.
 */
export async function buildApp(deps: PaymentAppDeps) {
  const { config, db, bus, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const { app, metrics } = await createServiceServer('payment', deps, {
    outbox: db,
    bodyLimit: config.BODY_LIMIT_BYTES,
  });
  const auth = configuredAuth(config, deps);
  const toss =
    deps.toss ??
    createTossClient({
      secretKey: config.TOSS_SECRET_KEY,
      baseUrl: config.TOSS_API_URL,
      timeoutMs: config.TOSS_TIMEOUT_MS,
    });
  const reservations =
    deps.reservations ??
    reservationClient({
      baseUrl: config.RESERVATION_SERVICE_URL,
      internalToken: config.INTERNAL_TOKEN,
      timeoutMs: config.RESERVATION_SERVICE_TIMEOUT_MS,
    });
  const payments = paymentRepository(db);
  const schedule = eventScheduleRepository(db);
  const settle = settlement({
    payments,
    schedule,
    toss,
    reservations,
    metrics: paymentMetrics(metrics),
    logger,
    now,
  });
  const checkout = checkoutService({
    db,
    payments,
    schedule,
    toss,
    reservations,
    settle,
    logger,
    now,
    rules: { webOrigin: config.WEB_ORIGIN, paymentWindowSeconds: config.PAYMENT_WINDOW_SECONDS },
  });
  const service = paymentsService({
    payments,
    schedule,
    settle,
    reservations,
    now,
    rules: { cancelDeadlineHours: config.CANCEL_DEADLINE_HOURS },
  });
  const reconcile = reconciler({
    payments,
    toss,
    settle,
    logger,
    metrics,
    now,
    intervalMs: config.RECONCILE_INTERVAL_MS,
    afterMs: config.RECONCILE_AFTER_MS,
    batchSize: config.RECONCILE_BATCH_SIZE,
  });

  const refundCancelled = cancellationRefunds({
    payments,
    schedule,
    settle,
    logger,
    metrics,
    intervalMs: config.CANCELLED_EVENT_REFUND_INTERVAL_MS,
    batchSize: config.CANCELLED_EVENT_REFUND_BATCH_SIZE,
  });

  const idempotent = idempotentRequests(idempotencyRepository(db));
  const forgetKeys = periodicJob({
    name: 'idempotency key expiry',
    pass: () => idempotent.forgetOld(now()),
    intervalMs: 3_600_000,
    logger,
    metrics,
  });

  paymentRoutes(app, auth, checkout, service, idempotent, {
    paymentWindowSeconds: config.PAYMENT_WINDOW_SECONDS,
    cancelDeadlineHours: config.CANCEL_DEADLINE_HOURS,
  });

  return {
    app,
    /** One reconciliation pass, callable directly (tests, operators). */
    reconcile: reconcile.runOnce,
    /** One pass of the refunds cancelled events call for, callable directly (tests, operators). */
    refundCancelledEvents: refundCancelled.runOnce,
    async start() {
      if (bus) await startConsumers(bus, db, schedule, refundCancelled.wake);
      reconcile.start();
      refundCancelled.start();
      forgetKeys.start();
    },
    async stop() {
      await reconcile.stop();
      await refundCancelled.stop();
      await forgetKeys.stop();
    },
  };
}

export type PaymentApp = Awaited<ReturnType<typeof buildApp>>;
