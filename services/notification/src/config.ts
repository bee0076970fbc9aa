import { env, internalTokenShape, serviceConfigShape } from '@tiketi/kit';
import { z } from 'zod';

export const configShape = {
  ...serviceConfigShape,
  ...internalTokenShape,
  PORT: env.port(4009),
  DATABASE_NAME: env.string('notifications_db'),
  /** smtp (the local mail sandbox by default) or sendgrid (needs SENDGRID_API_KEY). */
  MAIL_TRANSPORT: z.enum(['smtp', 'sendgrid']).default('smtp'),
  SMTP_URL: env.url('smtp://127.0.0.1:2525'),
  SENDGRID_API_URL: env.url('https://api.sendgrid.com'),
  SENDGRID_API_KEY: env.optionalString(),
  MAIL_FROM_ADDRESS: z.email().default('no-reply@tiketi.dev'),
  MAIL_FROM_NAME: env.string('Tiketi'),
  USER_SERVICE_URL: env.serviceUrl('user'),
  EVENT_SERVICE_URL: env.serviceUrl('event'),
  /** The confirmation mail's QR images and ticket PDF come from the reservation service. */
  RESERVATION_SERVICE_URL: env.serviceUrl('reservation'),
  /**
   * A claim still `sending` this long after it was made belongs to a process that stopped mid-send: it is
   * marked `unconfirmed`, for an operator to see (a send takes one SMTP transaction or API call).
   */
  ABANDONED_SEND_MS: env.int(600_000),
  /** The web app, for links in emails. */
  WEB_URL: env.url('http://localhost:3000'),
};
