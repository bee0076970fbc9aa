import { createHash } from 'node:crypto';
import { formatTicketCode, WEB_PAGES, WEB_RESET_PASSWORD, WEB_VERIFY_EMAIL } from '@tiketi/contracts';
import {
  type AnyEnvelope,
  HttpProblem,
  type Kysely,
  type Logger,
  problems,
  type Transaction,
} from '@tiketi/kit';
import QRCode from 'qrcode';
import type { DirectoryClient } from '../clients/directory.client.ts';
import {
  type EventDetails,
  type NotificationRepository,
  notificationRepository,
  type Recipient,
} from '../db/notification.repository.ts';
import type { DB } from '../db/schema.ts';
import type { MailAttachment, Mailer } from '../mail/mailer.ts';
import { type EventInfo, renderEmail, type TemplateData, type TemplateName } from './email-templates.ts';

/** Events that become an email. */
export const MAIL_EVENTS = [
  'user.registered',
  'user.email_verified',
  'user.verification_requested',
  'user.registration_repeated',
  'user.password_reset_requested',
  'user.password_changed',
  'ticket.issued',
  'payment.refunded',
  'reservation.expired',
  'waitlist.offered',
  'waitlist.closed',
  'event.rescheduled',
] as const;
/** Events that only feed what the emails say (recipients, event details, amounts). */
export const PROJECTION_EVENTS = [
  'user.registered',
  'user.updated',
  'user.deleted',
  'event.published',
  'event.updated',
  'reservation.confirmed',
] as const;

export type MailEvent = (typeof MAIL_EVENTS)[number];
/** Events that become one email to each of many accounts (`notify` writes to each in turn). */
type FanOutEvent = 'event.rescheduled';

/**
 * The mails an operator may send again, whose source event is kept for it: not the one-time links of
 * account mails (a fan asks for a new link; the token is not kept).
 */
export const SEND_AGAIN_TEMPLATES: ReadonlySet<string> = new Set<TemplateName>([
  'welcome',
  'registration-repeated',
  'tickets-issued',
  'payment-refunded',
  'reservation-expired',
  'waitlist-offer-expired',
  'waitlist-offered',
  'waitlist-closed',
]);
export type ProjectionEvent = (typeof PROJECTION_EVENTS)[number];

export type NotifierDeps = {
  /** Each step commits on its own: a claim must outlive a process that dies while its mail is on the way. */
  db: Kysely<DB>;
  mailer: Mailer;
  directory: DirectoryClient;
  /** The web app, for links in the emails. */
  webUrl: string;
  logger: Logger;
};

type Plan<T extends TemplateName = TemplateName> = {
  template: T;
  userId: string;
  recipient: Recipient | undefined;
  data: TemplateData[T];
  attachments?: MailAttachment[];
  /** Why nothing is to be sent after all, though the event said so: recorded as skipped. */
  skip?: string;
};

/**
 * Turns events into emails. Each email is claimed in `notifications` under (event id, template), and the
 * claim committed as `sending`, before it is sent; it becomes `sent` once the provider took the mail. A
 * redelivered or replayed event finds the claim and sends nothing, and a send the provider refused removes
 * the claim so the bus retries it. A process killed mid-send leaves its claim `sending`: neither SMTP nor
 * SendGrid's API can say whether a mail was taken, so the redelivery sends no second mail and marks the
 * claim `unconfirmed` for an operator to see (the window is one SMTP transaction).
 */
export function createNotifier(deps: NotifierDeps) {
  const url = (path: string) => new URL(path, deps.webUrl).toString();
  async function recipientOf(repo: NotificationRepository, userId: string): Promise<Recipient | undefined> {
    const known = await repo.findRecipient(userId);
    if (known) return known;
    const fetched = await deps.directory.user(userId);
    if (fetched) await repo.upsertRecipient(fetched);
    return fetched;
  }

  /** The projection when complete; otherwise the event service, falling back to what is known. */
  async function eventOf(repo: NotificationRepository, eventId: string): Promise<EventInfo | undefined> {
    const known = await repo.findEventDetails(eventId);
    if (known?.venueName) return known;
    let fetched: EventDetails | undefined;
    try {
      fetched = await deps.directory.event(eventId);
    } catch (error) {
      if (!known) throw error;
      deps.logger.warn(
        { eventId, err: (error as Error).message },
        'event service unavailable; using projection',
      );
      return known;
    }
    if (fetched) await repo.upsertEventDetails(fetched, new Date());
    return fetched ?? known;
  }

  /**
   * The plan for an email to a buyer about one event. The event is looked up only when there is someone to
   * write to, so a user nobody knows costs no call to the event service.
   */
  async function toBuyer<
    T extends Exclude<TemplateName, 'welcome' | 'verify-email' | 'registration-repeated'>,
  >(
    repo: NotificationRepository,
    template: T,
    about: { userId: string; eventId: string },
    data: Omit<TemplateData[T], 'name' | 'event'>,
  ): Promise<Plan<T>> {
    const recipient = await recipientOf(repo, about.userId);
    const event = recipient ? await eventOf(repo, about.eventId) : undefined;
    return {
      template,
      userId: about.userId,
      recipient,
      data: { ...data, name: recipient?.name ?? '', event } as TemplateData[T],
    };
  }

  /** The order's QR codes as inline images under the tickets' codes, and its PDF attached. */
  async function ticketFiles(
    docs: NonNullable<Awaited<ReturnType<DirectoryClient['ticketDocuments']>>>,
    data: TemplateData['tickets-issued'],
  ): Promise<{ data: TemplateData['tickets-issued']; attachments: MailAttachment[] }> {
    const images = await Promise.all(
      docs.tickets.map(async (t) => ({
        ticket: {
          seatLabel: t.seatLabel,
          entry:
            t.entrySection !== null && t.entryNumber !== null
              ? { section: t.entrySection, number: t.entryNumber }
              : null,
          code: formatTicketCode(t.code),
          cid: `qr-${t.id}@tiketi`,
        },
        file: {
          filename: `qr-${t.code}.png`,
          contentType: 'image/png',
          content: await QRCode.toBuffer(t.qr, { type: 'png', width: 400, margin: 1 }),
          contentId: `qr-${t.id}@tiketi`,
        },
      })),
    );
    return {
      data: { ...data, tickets: images.map((i) => i.ticket) },
      attachments: [
        ...images.map((i) => i.file),
        {
          filename: `tiketi-${docs.reservationId}.pdf`,
          contentType: 'application/pdf',
          content: Buffer.from(docs.pdf, 'base64'),
        },
      ],
    };
  }

  /** A mail to an account the event itself describes (address, name and language). */
  function toAccount<T extends TemplateName>(
    template: T,
    d: { userId: string; email: string; name: string; locale: Recipient['locale'] },
    data: TemplateData[T],
  ): Plan<T> {
    return {
      template,
      userId: d.userId,
      recipient: { userId: d.userId, email: d.email, name: d.name, locale: d.locale },
      data,
    };
  }

  /** A mail whose button opens `page` of the web app with the event's one-time token in its query. */
  function linkMail(
    template: 'verify-email' | 'password-reset',
    page: { path: string; tokenParam: string },
    d: AnyEnvelope<'user.verification_requested'>['data'],
  ): Plan {
    const link = new URL(page.path, deps.webUrl);
    link.searchParams.set(page.tokenParam, d.token);
    return toAccount(template, d, {
      name: d.name,
      linkUrl: link.toString(),
      expiresAt: new Date(d.expiresAt),
    });
  }

  async function plan(
    event: AnyEnvelope<Exclude<MailEvent, FanOutEvent>>,
    repo: NotificationRepository,
  ): Promise<Plan> {
    switch (event.type) {
      case 'user.registered':
      case 'user.email_verified': {
        const d = event.data;
        return toAccount('welcome', d, { name: d.name, eventsUrl: url(WEB_PAGES.events) });
      }
      case 'user.verification_requested':
        return linkMail('verify-email', WEB_VERIFY_EMAIL, event.data);
      case 'user.password_reset_requested':
        return linkMail('password-reset', WEB_RESET_PASSWORD, event.data);
      case 'user.registration_repeated': {
        const d = event.data;
        return toAccount('registration-repeated', d, { name: d.name, loginUrl: url(WEB_PAGES.login) });
      }
      case 'user.password_changed': {
        const d = event.data;
        return toAccount('password-changed', d, {
          name: d.name,
          how: d.how,
          at: new Date(d.at),
          forgotUrl: url(WEB_PAGES.forgotPassword),
        });
      }
      case 'ticket.issued': {
        const d = event.data;
        const plan = await toBuyer(repo, 'tickets-issued', d, {
          seatLabels: d.tickets.map((t) => t.seatLabel),
          // Carried by the event itself; an older one's amount comes from `reservation.confirmed`, which may
          // not have been handled yet.
          amount: d.amount ?? (await repo.confirmedAmount(d.reservationId)),
          reservationId: d.reservationId,
          orderId: d.orderId,
          ticketsUrl: url(WEB_PAGES.order(d.reservationId)),
          tickets: [],
        });
        if (!plan.recipient) return plan;
        const docs = await deps.directory.ticketDocuments(d.reservationId);
        // Refunded or cancelled before its mail's turn came (a drop's mails queue behind their PDFs): a
        // "your tickets are ready" written now would contradict the refund mail and pass for a proof of
        // purchase. The refund has its own mail.
        if (!docs) return { ...plan, skip: 'the order has no valid ticket any more (refunded or cancelled)' };
        return { ...plan, ...(await ticketFiles(docs, plan.data)) };
      }
      case 'payment.refunded': {
        const d = event.data;
        return toBuyer(repo, 'payment-refunded', d, {
          amount: d.amount,
          totalRefunded: d.totalRefunded,
          full: d.full,
          lateApproval: d.lateApproval,
          cause: d.cause,
          cancelReason: d.cause === 'event_cancelled' ? await deps.directory.cancelReason(d.eventId) : null,
          seatCount: d.seatIds.length,
          seatLabels: d.seatLabels,
          standingAreas: d.standingAreas,
          orderId: d.orderId,
          reservationsUrl: url(WEB_PAGES.order(d.reservationId)),
        });
      }
      case 'reservation.expired': {
        const d = event.data;
        // A lapsed offer was never a hold the fan made: telling them "your hold expired" would be wrong.
        return toBuyer(repo, d.waitlistOffer ? 'waitlist-offer-expired' : 'reservation-expired', d, {
          seatCount: d.seatIds.length,
          seatLabels: d.seatLabels,
          standingAreas: d.standingAreas,
          eventUrl: url(WEB_PAGES.event(d.eventId)),
        });
      }
      case 'waitlist.closed': {
        const d = event.data;
        return toBuyer(repo, 'waitlist-closed', d, {
          quantity: d.quantity,
          cancelReason: await deps.directory.cancelReason(d.eventId),
          eventsUrl: url(WEB_PAGES.events),
        });
      }
      case 'waitlist.offered': {
        const d = event.data;
        return toBuyer(repo, 'waitlist-offered', d, {
          seatLabels: d.seatLabels,
          standingAreas: d.standingAreas,
          amount: d.amount,
          expiresAt: new Date(d.expiresAt),
          checkoutUrl: url(WEB_PAGES.checkout(d.reservationId)),
        });
      }
    }
  }

  /** Sends a claimed mail; a send the provider refused gives the claim back (and throws). */
  async function send(
    repo: NotificationRepository,
    id: string,
    dedupeKey: string,
    mail: Plan & { recipient: Recipient },
    email: ReturnType<typeof renderEmail>,
  ) {
    const { recipient } = mail;
    const digest = createHash('sha256').update(dedupeKey).digest('hex').slice(0, 32);
    let sent: Awaited<ReturnType<Mailer['send']>>;
    try {
      sent = await deps.mailer.send({
        to: { email: recipient.email, name: recipient.name },
        ...email,
        ...(mail.attachments ? { attachments: mail.attachments } : {}),
        messageId: `<${digest}@notifications.tiketi.dev>`,
      });
    } catch (error) {
      await repo.release(id);
      throw error;
    }
    await repo.markSent(id, sent.providerMessageId);
  }

  /** Sends a planned mail once under `dedupeKey`: claimed and committed first, then handed to the provider. */
  async function deliver(event: AnyEnvelope<MailEvent>, mail: Plan, dedupeKey: string): Promise<void> {
    const repo = notificationRepository(deps.db);
    const { template, userId, recipient, data } = mail;
    if (!recipient || mail.skip) {
      // A user the user service does not know (deleted meanwhile), or nothing true left to say: nothing to
      // send, and retrying won't help.
      const detail = mail.skip ?? 'unknown user';
      await repo.claim({ dedupeKey, eventId: event.id, template, userId, status: 'skipped', detail });
      deps.logger.warn({ eventId: event.id, userId, template, detail }, 'notification not sent');
      return;
    }
    const email = renderEmail(template, data as never, recipient.locale);
    // Committed before the send, so that it outlives this process if it dies while the mail is on its way.
    const id = await repo.claim({
      dedupeKey,
      eventId: event.id,
      template,
      userId,
      status: 'sending',
      recipient: recipient.email,
      locale: recipient.locale,
      subject: email.subject,
      transport: deps.mailer.name,
      ...(SEND_AGAIN_TEMPLATES.has(template) ? { source: JSON.stringify(event) } : {}),
    });
    if (!id) {
      const pending = await repo.findPending(dedupeKey);
      if (pending) {
        await repo.markUnconfirmed(pending.id, 'a delivery found the send unconfirmed; not sent again');
        deps.logger.warn(
          { eventId: event.id, template, notificationId: pending.id },
          'email claimed by a send that never confirmed; not sent again',
        );
      }
      return;
    }
    await send(repo, id, dedupeKey, { ...mail, recipient }, email);
    deps.logger.info({ eventId: event.id, template, notificationId: id }, 'email sent');
  }

  return {
    /**
     * Sends the email an event calls for, at most once per (event, template). Idempotent by itself (the
     * claim), so it needs no inbox and holds no transaction while the provider takes its time.
     */
    async notify(event: AnyEnvelope<MailEvent>): Promise<void> {
      // A password account is welcomed once its address is proved (`user.email_verified`): a registration
      // proves nothing, and its name is whatever the one who typed the address in chose.
      if (event.type === 'user.registered' && event.data.provider === 'password') return;
      const repo = notificationRepository(deps.db);
      if (event.type === 'event.rescheduled') {
        // One mail per ticket holder, each claimed on its own: a redelivery after a failure part way writes
        // only to those not written to yet.
        const d = event.data;
        const holders = await deps.directory.holders(d.eventId);
        if (holders.size === 0) return;
        // The concert as the event says it is now, whatever the projection has heard of yet; read once for
        // every holder (the venue is the only part the projection adds).
        const known = await eventOf(repo, d.eventId);
        const concert = { venueName: known?.venueName, title: d.title, startsAt: new Date(d.startsAt) };
        for (const [userId, { tickets, reservationIds }] of holders) {
          // A fan with one order of the concert is shown that order; one with several, all their tickets.
          const [only] = reservationIds.size === 1 ? reservationIds : [];
          const recipient = await recipientOf(repo, userId);
          const mail: Plan<'event-rescheduled'> = {
            template: 'event-rescheduled',
            userId,
            recipient,
            data: {
              name: recipient?.name ?? '',
              event: concert,
              previousStartsAt: new Date(d.previousStartsAt),
              ticketCount: tickets,
              ticketsUrl: url(only ? WEB_PAGES.order(only) : WEB_PAGES.myTickets),
            },
          };
          await deliver(event, mail, `${event.id}:${mail.template}:${userId}`);
        }
        return;
      }
      const mail = await plan(event, repo);
      await deliver(event, mail, `${event.id}:${mail.template}`);
    },

    /**
     * Sends a mail again at an operator's request (a fan says it never came, or its send was left
     * unconfirmed): written anew from the event it came from, to the account's address as known now. The
     * copy is a mail of its own in the record, naming the one it repeats and who asked.
     */
    async sendAgain(notificationId: string, operatorId: string): Promise<string> {
      const repo = notificationRepository(deps.db);
      const original = await repo.findById(notificationId);
      if (!original) throw problems.notFound('Email');
      const refuse = (detail: string, reason?: 'offer_over' | 'tickets_void') =>
        new HttpProblem(409, 'CANNOT_SEND_AGAIN', detail, reason ? { extra: { reason } } : {});
      if (original.againOf) throw refuse('This email is itself a copy: send the first one again.');
      if (!SEND_AGAIN_TEMPLATES.has(original.template)) {
        throw refuse(
          'Emails with a one-time link are not sent again: the fan asks for a new link on the site.',
        );
      }
      if (original.status !== 'sent' && original.status !== 'unconfirmed') {
        throw refuse(
          original.status === 'sending'
            ? 'This email is being sent right now.'
            : 'This email was never sent: there was nobody to write to.',
        );
      }
      if (!original.source) throw refuse('What this email was written from is no longer kept.');
      // (Only mails of one event to one account keep their source: see SEND_AGAIN_TEMPLATES.)
      const source = original.source as AnyEnvelope<Exclude<MailEvent, FanOutEvent>>;
      // A mail that says what still holds is sent again only while it does: a copy of a refunded order's
      // tickets would pass for a proof of purchase, and an offer that is over cannot be paid any more.
      if (source.type === 'waitlist.offered') {
        const offer = await deps.directory.reservation(source.data.reservationId);
        if (offer?.status !== 'PENDING' || Date.parse(offer.expiresAt) <= Date.now()) {
          throw refuse(
            'This offer is over (paid, given up or lapsed): it cannot be paid any more.',
            'offer_over',
          );
        }
      }
      const mail = await plan(source, repo);
      const { recipient } = mail;
      if (!recipient) throw refuse('The account this email was for no longer exists.');
      // An order refunded or cancelled since has no ticket left to send.
      if (source.type === 'ticket.issued' && mail.skip) {
        throw refuse(
          'The order has no valid ticket any more (it was refunded or cancelled): nothing to send.',
          'tickets_void',
        );
      }
      const dedupeKey = `${original.dedupeKey}:again:${(await repo.timesSentAgain(original.id)) + 1}`;
      const email = renderEmail(mail.template, mail.data as never, recipient.locale);
      const id = await repo.claim({
        dedupeKey,
        eventId: original.eventId,
        template: mail.template,
        userId: mail.userId,
        status: 'sending',
        recipient: recipient.email,
        locale: recipient.locale,
        subject: email.subject,
        transport: deps.mailer.name,
        againOf: original.id,
        requestedBy: operatorId,
      });
      if (!id) throw refuse('This email is being sent again already.');
      try {
        await send(repo, id, dedupeKey, { ...mail, recipient }, email);
      } catch (error) {
        // The claim was given back: the operator may simply ask again.
        throw problems.unavailable('The mail provider did not take the email; try again shortly.', error);
      }
      deps.logger.info(
        { notificationId: id, againOf: original.id, template: mail.template, operatorId },
        'email sent again',
      );
      return id;
    },

    /**
     * Marks `unconfirmed` the claims left `sending` for longer than any send takes (`afterMs`): a process
     * stopped mid-send, and no redelivery will come to say so for a mail sent again at an operator's request.
     */
    async settleAbandoned(afterMs: number): Promise<number> {
      const settled = await notificationRepository(deps.db).markAbandonedUnconfirmed(
        new Date(Date.now() - afterMs),
        'its send never finished (the process stopped mid-send): not confirmed',
      );
      if (settled) deps.logger.warn({ settled }, 'emails left sending marked unconfirmed');
      return settled;
    },

    /** Keeps the local copies the emails are written from. */
    async project(event: AnyEnvelope<ProjectionEvent>, trx: Transaction<DB>): Promise<void> {
      const repo = notificationRepository(trx);
      switch (event.type) {
        case 'user.registered':
        case 'user.updated': {
          // A renamed account, or one that reads another language: later mails follow it.
          const d = event.data;
          await repo.upsertRecipient({ userId: d.userId, email: d.email, name: d.name, locale: d.locale });
          return;
        }
        case 'user.deleted':
          // Mails still to come for the user find nobody to write to, here or at the user service.
          await repo.forgetRecipient(event.data.userId);
          return;
        case 'event.published':
        case 'event.updated': {
          // A renamed or rescheduled concert: later mails say what it is now. (An update announced before
          // title and start were part of it says neither.)
          const { eventId, title, startsAt } = event.data;
          if (title === undefined || startsAt === undefined) return;
          await repo.upsertEventDetails(
            { eventId, title, startsAt: new Date(startsAt), venueName: null },
            new Date(event.occurredAt),
          );
          return;
        }
        case 'reservation.confirmed':
          await repo.recordConfirmedReservation(event.data.reservationId, event.data.amount);
          return;
      }
    },
  };
}

export type Notifier = ReturnType<typeof createNotifier>;
