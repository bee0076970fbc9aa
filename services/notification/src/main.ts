import {
  ConfigError,
  openServiceInfra,
  periodicJob,
  runService,
  serviceDeps,
  sessionRevocations,
} from '@tiketi/kit';
import { buildApp, startConsumers } from './app.ts';
import { createDirectoryClient } from './clients/directory.client.ts';
import { configShape } from './config.ts';
import type { DB } from './db/schema.ts';
import { createNotifier } from './domain/notifier.ts';
import { sendGridMailer } from './mail/sendgrid.mailer.ts';
import { smtpMailer } from './mail/smtp.mailer.ts';

const migrations = new URL('../migrations', import.meta.url);

await runService('notification', configShape, async (config, logger) => {
  const from = { email: config.MAIL_FROM_ADDRESS, name: config.MAIL_FROM_NAME };
  let mailer: ReturnType<typeof smtpMailer>;
  if (config.MAIL_TRANSPORT === 'sendgrid') {
    if (!config.SENDGRID_API_KEY)
      throw new ConfigError('SENDGRID_API_KEY is required when MAIL_TRANSPORT=sendgrid');
    mailer = sendGridMailer({ apiUrl: config.SENDGRID_API_URL, apiKey: config.SENDGRID_API_KEY, from });
  } else {
    mailer = smtpMailer(config.SMTP_URL, from);
  }
  const infra = await openServiceInfra<DB>('notification', migrations, config, logger);
  const notifier = createNotifier({
    db: infra.db,
    mailer,
    directory: createDirectoryClient({
      userServiceUrl: config.USER_SERVICE_URL,
      eventServiceUrl: config.EVENT_SERVICE_URL,
      reservationServiceUrl: config.RESERVATION_SERVICE_URL,
      internalToken: config.INTERNAL_TOKEN,
    }),
    webUrl: config.WEB_URL,
    logger,
  });
  const abandoned = periodicJob({
    name: 'abandoned sends',
    pass: async () => {
      await notifier.settleAbandoned(config.ABANDONED_SEND_MS);
    },
    intervalMs: 60_000,
    logger,
    metrics: infra.metrics,
  });
  const app = await buildApp({
    ...serviceDeps(config, infra, logger),
    db: infra.db,
    notifier,
    auth: {
      jwks: config.JWKS_URL,
      internalToken: config.INTERNAL_TOKEN,
      revocations: sessionRevocations(infra.redis, { logger }),
    },
  });
  return {
    app,
    // The mailer closes after the bus, whose consumers finish the sends under way.
    infra: {
      start: infra.start,
      close: async () => {
        await abandoned.stop();
        await infra.close();
        await mailer.close();
      },
    },
    start: async () => {
      await startConsumers({ db: infra.db, bus: infra.bus, notifier });
      abandoned.start();
    },
  };
});
