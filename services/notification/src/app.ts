import {
  type AuthOptions,
  type Bus,
  createAuth,
  createServiceServer,
  type Kysely,
  type ServiceDeps,
} from '@tiketi/kit';
import { notificationRepository } from './db/notification.repository.ts';
import type { DB } from './db/schema.ts';
import { MAIL_EVENTS, type Notifier, PROJECTION_EVENTS } from './domain/notifier.ts';
import { MAILS_AT_ONCE } from './mail/mailer.ts';
import { notificationRoutes } from './routes/notifications.routes.ts';

export type NotificationDeps = ServiceDeps & {
  db: Kysely<DB>;
  auth: AuthOptions;
  notifier: Pick<Notifier, 'sendAgain'>;
};

/** Builds the notification service's HTTP side from its dependencies; opens nothing itself. */
export async function buildApp(deps: NotificationDeps) {
  const { app } = await createServiceServer('notification', deps);
  notificationRoutes(app, createAuth(deps.auth), notificationRepository(deps.db), deps.notifier);
  return app;
}

export type ConsumerDeps = {
  db: Kysely<DB>;
  bus: Bus;
  notifier: Notifier;
  /** Retry pacing of failed sends (the bus's defaults when unset). */
  retryDelaysMs?: number[];
  maxAttempts?: number;
};

/**
 * The event side: one inbox consumer keeps the projections, another sends the emails. They are separate
 * so that a mail outage never holds back the projections.
 */
export async function startConsumers(deps: ConsumerDeps): Promise<void> {
  const retry = { retryDelaysMs: deps.retryDelaysMs, maxAttempts: deps.maxAttempts };
  await deps.bus.consume({
    name: 'projections',
    events: PROJECTION_EVENTS,
    db: deps.db,
    ...retry,
    handler: (event, trx) => deps.notifier.project(event, trx),
  });
  // No inbox: the notifier's claim makes a redelivery send nothing, and it commits before the send.
  // The tickets mails have a queue of their own: each carries a PDF the reservation service draws, so a
  // drop queues hundreds of them, and a verification link, a refund or a new date must not wait behind.
  await deps.bus.subscribe({
    name: 'mail',
    events: MAIL_EVENTS,
    handedOver: ['ticket.issued'],
    prefetch: MAILS_AT_ONCE,
    ...retry,
    handler: (event) => deps.notifier.notify(event),
  });
  await deps.bus.subscribe({
    name: 'tickets-mail',
    events: ['ticket.issued'],
    prefetch: MAILS_AT_ONCE,
    ...retry,
    handler: (event) => deps.notifier.notify(event),
  });
}

export { createDirectoryClient } from './clients/directory.client.ts';
export { createNotifier } from './domain/notifier.ts';
export { sendGridMailer } from './mail/sendgrid.mailer.ts';
export { smtpMailer } from './mail/smtp.mailer.ts';
