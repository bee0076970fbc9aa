import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type EventInput,
  type EventType,
  INTERNAL_TOKEN_HEADER,
  type InternalReservation,
  type InternalUser,
  type SalesAttendees,
  type TicketDocuments,
} from '@tiketi/contracts';
import { makeEnvelope, sql } from '@tiketi/kit';
import { createTestTokens, openTestInfra, testConfig, testLogger } from '@tiketi/kit/testing';
import { startMailSandbox } from '@tiketi/sandbox-mail';
import amqplib from 'amqplib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  buildApp,
  createDirectoryClient,
  createNotifier,
  sendGridMailer,
  smtpMailer,
  startConsumers,
} from '../src/app.ts';
import type { DB } from '../src/db/schema.ts';

const INTERNAL_TOKEN = 'notif-test-internal-token';
const eventually = (check: () => unknown, timeout = 10_000) => vi.waitFor(check, { timeout, interval: 50 });
const EVENT_ID = randomUUID();

/** A minimal document that parses as PDF, standing for the reservation service's ticket PDF. */
const TICKET_PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

/**
 * The user, event and reservation services' routes the notification service reads, answering from fixed
 * data; `documents` holds the tickets of each order the reservation service would answer for.
 */
async function peers(
  users: Map<string, InternalUser>,
  documents: Map<string, TicketDocuments['tickets']>,
  attendees: Map<string, SalesAttendees['items']>,
  reservations: Map<string, InternalReservation>,
  /** Orders whose documents are answered only once their promise settles (a PDF being drawn slowly). */
  slowDocuments: Map<string, Promise<void>> = new Map(),
) {
  const server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const user = /^\/internal\/users\/([^/]+)$/.exec(req.url ?? '');
    if (user) {
      if (req.headers[INTERNAL_TOKEN_HEADER] !== INTERNAL_TOKEN) return send(403, { code: 'FORBIDDEN' });
      const found = users.get(user[1] ?? '');
      return found ? send(200, found) : send(404, { code: 'NOT_FOUND' });
    }
    const docs = /^\/internal\/reservations\/([^/]+)\/ticket-documents$/.exec(req.url ?? '');
    if (docs) {
      if (req.headers[INTERNAL_TOKEN_HEADER] !== INTERNAL_TOKEN) return send(403, { code: 'FORBIDDEN' });
      await slowDocuments.get(docs[1] ?? '');
      const tickets = documents.get(docs[1] ?? '');
      if (!tickets) return send(404, { code: 'NOT_FOUND' });
      return send(200, { reservationId: docs[1], tickets, pdf: TICKET_PDF.toString('base64') });
    }
    const reservation = /^\/internal\/reservations\/([^/]+)$/.exec(req.url ?? '');
    if (reservation) {
      if (req.headers[INTERNAL_TOKEN_HEADER] !== INTERNAL_TOKEN) return send(403, { code: 'FORBIDDEN' });
      const found = reservations.get(reservation[1] ?? '');
      return found ? send(200, found) : send(404, { code: 'RESERVATION_NOT_FOUND' });
    }
    const holders = /^\/internal\/events\/([^/]+)\/attendees$/.exec(req.url ?? '');
    if (holders) {
      if (req.headers[INTERNAL_TOKEN_HEADER] !== INTERNAL_TOKEN) return send(403, { code: 'FORBIDDEN' });
      const items = attendees.get(holders[1] ?? '');
      return items ? send(200, { items }) : send(404, { code: 'EVENT_NOT_FOUND' });
    }
    if (req.url === `/api/events/${EVENT_ID}`) {
      return send(200, {
        id: EVENT_ID,
        title: 'IU — The Golden Hour',
        startsAt: '2027-03-20T10:00:00.000Z',
        venue: { id: randomUUID(), name: 'KSPO DOME', city: 'Seoul' },
        cancelReason: '아티스트의 건강 문제로 공연이 취소되었습니다',
      });
    }
    return send(404, { code: 'NOT_FOUND' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(r)),
  };
}

/** This test file's notification database and exchange. */
function openNotificationInfra(config: ReturnType<typeof testConfig>) {
  return openTestInfra<{ service: string; database: { name: string; migrations: string }; bus: true }, DB>(
    {
      service: 'notification',
      database: { name: 'unused', migrations: new URL('../migrations', import.meta.url).pathname },
      bus: true,
    },
    config,
  );
}

describe('notification service, end to end over RabbitMQ to the mail sandbox', () => {
  const config = testConfig('notif-e2e');
  const from = { email: 'no-reply@tiketi.dev', name: 'Tiketi' };
  const users = new Map<string, InternalUser>();
  const documents = new Map<string, TicketDocuments['tickets']>();
  const attendees = new Map<string, SalesAttendees['items']>();
  const reservations = new Map<string, InternalReservation>();
  const slowDocuments = new Map<string, Promise<void>>();
  const mailQueues = ['mail', 'tickets-mail'].map((name) => `${config.AMQP_EXCHANGE}.notification.${name}`);
  let infra: Awaited<ReturnType<typeof openNotificationInfra>>;
  let db: typeof infra.db;
  let bus: typeof infra.bus;
  let mail: Awaited<ReturnType<typeof startMailSandbox>>;
  let peer: Awaited<ReturnType<typeof peers>>;
  let directory: ReturnType<typeof createDirectoryClient>;
  let smtp: ReturnType<typeof smtpMailer>;
  let notifier: ReturnType<typeof createNotifier>;
  let amqp: Awaited<ReturnType<typeof amqplib.connect>>;
  let channel: Awaited<ReturnType<typeof amqp.createChannel>>;

  beforeAll(async () => {
    infra = await openNotificationInfra(config);
    ({ db, bus } = infra);
    mail = await startMailSandbox({ smtpPort: 0, httpPort: 0 });
    peer = await peers(users, documents, attendees, reservations, slowDocuments);
    directory = createDirectoryClient({
      userServiceUrl: peer.url,
      eventServiceUrl: peer.url,
      reservationServiceUrl: peer.url,
      internalToken: INTERNAL_TOKEN,
    });
    smtp = smtpMailer(mail.smtpUrl, from);
    notifier = createNotifier({
      db,
      mailer: smtp,
      directory,
      webUrl: 'http://localhost:3000',
      logger: testLogger(),
    });
    amqp = await amqplib.connect(config.AMQP_URL);
    channel = await amqp.createChannel();
    await bus.waitForConnect();
    await startConsumers({ db, bus, notifier, retryDelaysMs: [50, 100], maxAttempts: 3 });
  });
  afterAll(async () => {
    await amqp?.close();
    await smtp?.close();
    await mail?.close();
    await peer?.close();
    await infra?.cleanup();
  });

  async function publish<T extends EventType>(type: T, data: EventInput<T>) {
    const envelope = makeEnvelope(type, data);
    await bus.publish(envelope);
    return envelope;
  }
  const inboxOf = (to: string) => mail.messages({ to });
  /** A user the user service answers for and this service has not cached yet. */
  function knownUser(name: string, locale: InternalUser['locale']): InternalUser {
    const id = randomUUID();
    const user = { id, email: `user-${id}@example.com`, name, locale, role: 'user' as const };
    users.set(id, user);
    return user;
  }
  /** Waits until the mail queues have nothing waiting, then for one more email to prove later work is done. */
  async function drained() {
    for (const queue of mailQueues) {
      await eventually(async () => expect((await channel.checkQueue(queue)).messageCount).toBe(0));
    }
    const marker = `marker-${randomUUID()}@example.com`;
    await publish('user.registered', {
      userId: randomUUID(),
      email: marker,
      name: 'marker',
      locale: 'en',
      provider: 'google',
    });
    await eventually(() => expect(inboxOf(marker)).toHaveLength(1));
  }

  it('welcomes a password account once its address is proved, never an address nobody proved', async () => {
    // Anyone may type any address into the register form, with any name: the owner of that address must
    // not receive a welcome written from a name a stranger chose.
    const userId = randomUUID();
    const email = `unproved-${userId}@example.com`;
    await publish('user.registered', {
      userId,
      email,
      name: 'Cheap tickets at scam.example',
      locale: 'en',
      provider: 'password',
    });
    await drained();
    expect(inboxOf(email)).toEqual([]);

    const proved = makeEnvelope('user.email_verified', { userId, email, name: 'Min-ji', locale: 'en' });
    await bus.publish(proved);
    await bus.publish(proved);
    await eventually(() =>
      expect(inboxOf(email).map((m) => m.subject)).toEqual(['[Tiketi] Welcome to Tiketi']),
    );
    expect(inboxOf(email)[0]?.text).toContain('Welcome, Min-ji!');
    await drained();
    expect(inboxOf(email)).toHaveLength(1);
  });

  it('welcomes a new user and sends the Korean ticket email exactly once, however often the event comes', async () => {
    const userId = randomUUID();
    const email = `minji-${userId}@example.com`;
    await publish('user.registered', { userId, email, name: '김민지', locale: 'ko', provider: 'google' });
    await eventually(() =>
      expect(inboxOf(email).map((m) => m.subject)).toEqual(['[Tiketi] 가입을 환영합니다']),
    );
    await eventually(async () =>
      expect(
        await db.selectFrom('recipients').select('locale').where('userId', '=', userId).executeTakeFirst(),
      ).toEqual({
        locale: 'ko',
      }),
    );

    const reservationId = randomUUID();
    const seats = [randomUUID(), randomUUID()];
    await publish('reservation.confirmed', {
      reservationId,
      eventId: EVENT_ID,
      userId,
      seatIds: seats,
      amount: 264_000,
      paymentId: randomUUID(),
    });
    await eventually(async () =>
      expect(
        await db
          .selectFrom('confirmedReservations')
          .select('amount')
          .where('reservationId', '=', reservationId)
          .executeTakeFirst(),
      ).toEqual({ amount: 264_000 }),
    );

    const tickets = [
      { ticketId: randomUUID(), seatId: seats[0]!, seatLabel: 'A구역 3열 12번', code: 'ABCDE23456' },
      { ticketId: randomUUID(), seatId: seats[1]!, seatLabel: 'A구역 3열 13번', code: 'FGHJK78923' },
    ];
    documents.set(
      reservationId,
      tickets.map((t) => ({
        id: t.ticketId,
        seatLabel: t.seatLabel,
        entrySection: null,
        entryNumber: null,
        code: t.code,
        qr: `TKT1.${t.ticketId}`,
      })),
    );
    const issued = makeEnvelope('ticket.issued', {
      reservationId,
      eventId: EVENT_ID,
      userId,
      tickets: tickets.map(({ code: _, ...t }) => t),
    });
    await Promise.all([bus.publish(issued), bus.publish(issued), bus.publish(issued)]);
    await eventually(() => expect(inboxOf(email)).toHaveLength(2));
    const ticketMail = inboxOf(email).find((m) => m.subject.startsWith('[Tiketi] 예매 완료'));
    expect(ticketMail?.subject).toBe('[Tiketi] 예매 완료: IU — The Golden Hour');
    expect(ticketMail?.text).toContain('A구역 3열 12번, A구역 3열 13번');
    expect(ticketMail?.text).toContain('264,000원');
    expect(ticketMail?.text).toContain('KSPO DOME');
    expect(ticketMail?.text).toContain('2027년 3월 20일 토요일');
    expect(ticketMail?.html).toContain('<html lang="ko">');
    expect(ticketMail?.html).toContain('A구역 3열 12번');
    // Its button opens this order on the my-tickets page, not just whichever tickets are signed in there.
    expect(ticketMail?.html).toContain(
      `href="http://localhost:3000/me/tickets?order=${reservationId}&amp;lang=ko"`,
    );
    // Each ticket's QR rides inline under its code, and the order's PDF is attached.
    expect(ticketMail?.text).toContain('A구역 3열 12번 · ABCDE-23456');
    const qrFiles = ticketMail?.attachments.filter((a) => a.inline) ?? [];
    expect(qrFiles.map((a) => [a.contentType, a.contentId])).toEqual(
      tickets.map((t) => ['image/png', `qr-${t.ticketId}@tiketi`]),
    );
    for (const t of tickets) expect(ticketMail?.html).toContain(`src="cid:qr-${t.ticketId}@tiketi"`);
    const pdf = ticketMail?.attachments.find((a) => !a.inline);
    expect(pdf).toMatchObject({ filename: `tiketi-${reservationId}.pdf`, contentType: 'application/pdf' });
    const pdfRes = await fetch(`${mail.httpUrl}/api/messages/${ticketMail?.id}/attachments/${pdf?.index}`);
    expect(Buffer.from(await pdfRes.arrayBuffer())).toEqual(TICKET_PDF);

    await drained();
    expect(inboxOf(email).map((m) => m.subject)).toEqual([
      '[Tiketi] 예매 완료: IU — The Golden Hour',
      '[Tiketi] 가입을 환영합니다',
    ]);
    const rows = await db
      .selectFrom('notifications')
      .select(['template', 'status', 'locale'])
      .where('eventId', '=', issued.id)
      .execute();
    expect(rows).toEqual([{ template: 'tickets-issued', status: 'sent', locale: 'ko' }]);
  });

  it('mails a verification link at once while a drop’s tickets mails wait for their PDFs', async () => {
    const fan = knownUser('Seo-yeon', 'en');
    const { promise: drawing, resolve: drawn } = Promise.withResolvers<void>();
    // More tickets mails than are sent at once, each waiting on its order's PDF.
    const orders = Array.from({ length: 12 }, () => randomUUID());
    for (const reservationId of orders) {
      const ticketId = randomUUID();
      documents.set(reservationId, [
        {
          id: ticketId,
          seatLabel: 'A-1-1',
          entrySection: null,
          entryNumber: null,
          code: 'QWERT23456',
          qr: 'q',
        },
      ]);
      slowDocuments.set(reservationId, drawing);
      await publish('ticket.issued', {
        reservationId,
        eventId: EVENT_ID,
        userId: fan.id,
        tickets: [{ ticketId, seatId: randomUUID(), seatLabel: 'A-1-1' }],
      });
    }
    const newcomer = `newcomer-${randomUUID()}@example.com`;
    await publish('user.verification_requested', {
      userId: randomUUID(),
      email: newcomer,
      name: 'New fan',
      locale: 'en',
      token: 'Cd1_-'.repeat(8).concat('xyz'),
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    try {
      await eventually(() => expect(inboxOf(newcomer)).toHaveLength(1), 5_000);
      expect(inboxOf(fan.email)).toEqual([]);
    } finally {
      drawn();
    }
    await eventually(() => expect(inboxOf(fan.email)).toHaveLength(orders.length), 20_000);
  });

  it('mails the verification link to the web app, and warns an owner whose address was registered again', async () => {
    const userId = randomUUID();
    const email = `verify-${userId}@example.com`;
    const token = 'Ab0_-'.repeat(8).concat('xyz');
    await publish('user.verification_requested', {
      userId,
      email,
      name: '이서연',
      locale: 'ko',
      token,
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    await eventually(() => expect(inboxOf(email)).toHaveLength(1));
    const [mailed] = inboxOf(email);
    expect(mailed?.subject).toBe('[Tiketi] 이메일 주소를 인증해 주세요');
    expect(mailed?.text).toContain(`http://localhost:3000/verify-email?token=${token}&lang=ko`);
    expect(mailed?.html).toContain(`href="http://localhost:3000/verify-email?token=${token}&amp;lang=ko"`);
    // The name is whoever registered's choice, and the address is not proved to be theirs: not printed.
    expect(`${mailed?.text}${mailed?.html}`).not.toContain('이서연');
    const recorded = await db.selectFrom('notifications').selectAll().where('userId', '=', userId).execute();
    expect(JSON.stringify(recorded)).not.toContain(token);

    await publish('user.registration_repeated', { userId, email, name: '이서연', locale: 'en' });
    await eventually(() => expect(inboxOf(email)).toHaveLength(2));
    const warning = inboxOf(email)[0];
    expect(warning?.subject).toBe('[Tiketi] Someone tried to sign up with your email address');
    expect(warning?.text).not.toContain('verify-email');
  });

  it('states the amount paid in the booking mail even when the confirmation was not handled yet', async () => {
    // The two events of one purchase come in either order: the tickets' own event says what was paid.
    const fan = knownUser('Minji', 'en');
    const reservationId = randomUUID();
    const ticketId = randomUUID();
    documents.set(reservationId, [
      {
        id: ticketId,
        seatLabel: 'C-1-4',
        entrySection: null,
        entryNumber: null,
        code: 'ZXCVB23456',
        qr: 'q',
      },
    ]);
    await notifier.notify(
      makeEnvelope('ticket.issued', {
        reservationId,
        eventId: EVENT_ID,
        userId: fan.id,
        tickets: [{ ticketId, seatId: randomUUID(), seatLabel: 'C-1-4' }],
        amount: 132_000,
      }),
    );
    const mailed = inboxOf(fan.email).find((m) => m.text.includes('C-1-4'));
    expect(mailed?.text).toContain('₩132,000');
  });

  it('writes to a fan in the language and by the name they chose after signing up', async () => {
    const userId = randomUUID();
    const email = `switched-${userId}@example.com`;
    await publish('user.registered', { userId, email, name: '김민지', locale: 'ko', provider: 'google' });
    await eventually(() => expect(inboxOf(email)).toHaveLength(1));
    await publish('user.updated', { userId, email, name: 'Minji Kim', locale: 'en' });
    await eventually(async () =>
      expect(
        await db
          .selectFrom('recipients')
          .select(['name', 'locale'])
          .where('userId', '=', userId)
          .executeTakeFirst(),
      ).toEqual({ name: 'Minji Kim', locale: 'en' }),
    );
    await publish('reservation.expired', {
      reservationId: randomUUID(),
      eventId: EVENT_ID,
      userId,
      seatIds: [randomUUID()],
    });
    await eventually(() => expect(inboxOf(email)).toHaveLength(2));
    const expired = inboxOf(email).find((m) => m.subject.includes('hold'));
    expect(expired?.subject).toBe('[Tiketi] Your seat hold expired');
    expect(expired?.text).toContain('Minji Kim');
  });

  it('tells an owner their password was changed, with the way back in if it was not them', async () => {
    const userId = randomUUID();
    const email = `changed-${userId}@example.com`;
    await publish('user.password_changed', {
      userId,
      email,
      name: 'Seoyeon',
      locale: 'en',
      how: 'change',
      at: new Date().toISOString(),
    });
    await eventually(() => expect(inboxOf(email)).toHaveLength(1));
    const [mailed] = inboxOf(email);
    expect(mailed?.subject).toBe('[Tiketi] Your password was changed');
    expect(mailed?.text).toContain('If it was not, set a new password now to take your account back.');
    expect(mailed?.html).toContain('href="http://localhost:3000/forgot-password?lang=en"');
  });

  it('forgets a deleted account’s address and name, in its recipients and its record of mails', async () => {
    const userId = randomUUID();
    const email = `leaving-${userId}@example.com`;
    await publish('user.registered', { userId, email, name: '탈퇴자', locale: 'ko', provider: 'google' });
    await eventually(() => expect(inboxOf(email)).toHaveLength(1));
    const recorded = () =>
      db
        .selectFrom('notifications')
        .select(['template', 'recipient', sql<boolean>`source is not null`.as('kept')])
        .where('userId', '=', userId)
        .execute();
    // The welcome mail may be sent again: what it was written from (the address and name) is kept with it.
    expect(await recorded()).toEqual([{ template: 'welcome', recipient: email, kept: true }]);

    await publish('user.deleted', { userId });
    await eventually(async () =>
      expect(
        await db.selectFrom('recipients').select('email').where('userId', '=', userId).execute(),
      ).toEqual([]),
    );
    expect(await recorded()).toEqual([{ template: 'welcome', recipient: null, kept: false }]);

    // The registration handled again afterwards (out of order, or replayed) does not bring the address back.
    const again = makeEnvelope('user.registered', {
      userId,
      email,
      name: '탈퇴자',
      locale: 'ko',
      provider: 'password',
    });
    await db.transaction().execute((trx) => notifier.project(again, trx));
    expect(await db.selectFrom('recipients').select('email').where('userId', '=', userId).execute()).toEqual(
      [],
    );
  });

  it('sends no mail to an account being forgotten, and keeps no address of it, whichever comes first', async () => {
    const user = knownUser('떠나는 사람', 'ko');
    const expiry = () =>
      makeEnvelope('reservation.expired', {
        reservationId: randomUUID(),
        eventId: EVENT_ID,
        userId: user.id,
        seatIds: [randomUUID()],
      });
    // A mail before the deletion: it goes, and its record keeps the address until the account is forgotten.
    await notifier.notify(expiry());
    expect(inboxOf(user.email)).toHaveLength(1);

    // The deletion is being handled (its transaction not yet committed) while a mail for the user is sent.
    const deleted = makeEnvelope('user.deleted', { userId: user.id });
    let commit!: () => void;
    const forgetting = db.transaction().execute(async (trx) => {
      await notifier.project(deleted, trx);
      await new Promise<void>((resolve) => {
        commit = resolve;
      });
    });
    await eventually(() => expect(commit).toBeTypeOf('function'));
    let mailed = false;
    const mailing = notifier.notify(expiry()).finally(() => {
      mailed = true;
    });
    // The mail is done, or waits on a lock of the database for the deletion to end.
    await eventually(async () => {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`.execute(db);
      expect(mailed || (rows[0]?.n ?? 0) > 0).toBe(true);
    });
    commit();
    await forgetting;
    await mailing;

    expect(inboxOf(user.email)).toHaveLength(1);
    const records = await db
      .selectFrom('notifications')
      .select(['status', 'recipient'])
      .where('userId', '=', user.id)
      .orderBy('createdAt')
      .execute();
    expect(records).toEqual([
      { status: 'sent', recipient: null },
      { status: 'skipped', recipient: null },
    ]);
    expect(await db.selectFrom('recipients').selectAll().where('userId', '=', user.id).execute()).toEqual([]);
  });

  it('mails the password-reset link to the web app in the owner’s language, keeping no copy of the token', async () => {
    const userId = randomUUID();
    const email = `reset-${userId}@example.com`;
    const token = 'Zy9-_'.repeat(8).concat('abc');
    const expiresAt = new Date(Date.now() + 3_600_000);
    await publish('user.password_reset_requested', {
      userId,
      email,
      name: 'Alex',
      locale: 'en',
      token,
      expiresAt: expiresAt.toISOString(),
    });
    await eventually(() => expect(inboxOf(email)).toHaveLength(1));
    const [mailed] = inboxOf(email);
    expect(mailed?.subject).toBe('[Tiketi] Set a new password');
    expect(mailed?.text).toContain(`http://localhost:3000/reset-password?token=${token}&lang=en`);
    expect(mailed?.html).toContain(`href="http://localhost:3000/reset-password?token=${token}&amp;lang=en"`);
    expect(mailed?.text).toContain('If you did not ask for this, ignore this email');
    // The mail reaches the inbox before the SMTP server's answer comes back and the record says so.
    const recorded = await eventually(async () => {
      const rows = await db.selectFrom('notifications').selectAll().where('userId', '=', userId).execute();
      expect(rows).toMatchObject([{ template: 'password-reset', status: 'sent', locale: 'en' }]);
      return rows;
    });
    expect(JSON.stringify(recorded)).not.toContain(token);
  });

  it('writes in English to a user known only to the user service, and explains a late-approval refund', async () => {
    const user = knownUser('Alex', 'en');
    const reservationId = randomUUID();
    await publish('payment.refunded', {
      paymentId: randomUUID(),
      orderId: 'order-late-approval-1',
      reservationId,
      eventId: EVENT_ID,
      userId: user.id,
      amount: 132_000,
      totalRefunded: 132_000,
      seatIds: [randomUUID()],
      full: true,
      reason: 'approved after the hold expired',
      lateApproval: true,
    });
    await eventually(() => expect(inboxOf(user.email)).toHaveLength(1));
    const [message] = inboxOf(user.email);
    expect(message?.subject).toBe('[Tiketi] Your payment was refunded automatically');
    expect(message?.text).toContain('approved after your seat hold had expired');
    expect(message?.text).toContain('₩132,000');
    expect(message?.text).toContain('Saturday, 20 March 2027 at 19:00 (KST)');
    expect(message?.html).toContain('<html lang="en">');
    expect(message?.html).toContain(
      `href="http://localhost:3000/me/tickets?order=${reservationId}&amp;lang=en"`,
    );
    await eventually(async () => {
      const cached = await db
        .selectFrom('recipients')
        .select('email')
        .where('userId', '=', user.id)
        .executeTakeFirst();
      expect(cached?.email).toBe(user.email);
    });
  });

  it('tells a buyer their event was cancelled when the refund is for the cancellation, and no one else', async () => {
    const cancelled = knownUser('이서연', 'ko');
    const ordinary = knownUser('Sam', 'en');
    const refund = {
      paymentId: randomUUID(),
      reservationId: randomUUID(),
      eventId: EVENT_ID,
      amount: 132_000,
      totalRefunded: 132_000,
      seatIds: [randomUUID(), randomUUID()],
      full: true,
    };
    await publish('payment.refunded', {
      ...refund,
      orderId: 'order-event-cancelled-1',
      userId: cancelled.id,
      reason: 'The event was cancelled: The artist is ill',
      cause: 'event_cancelled',
    });
    // A buyer's own words may read like a cancellation; only the cause makes it one.
    await publish('payment.refunded', {
      ...refund,
      orderId: 'order-own-refund-1',
      userId: ordinary.id,
      reason: 'The event was cancelled for me, I cannot go',
    });

    await eventually(() => expect(inboxOf(cancelled.email)).toHaveLength(1));
    const [told] = inboxOf(cancelled.email);
    expect(told?.subject).toBe('[Tiketi] 공연 취소 및 전액 환불: IU — The Golden Hour');
    expect(told?.text).toContain('이서연님, 예매하신 「IU — The Golden Hour」 공연이 취소되었습니다.');
    expect(told?.text).toContain('따로 하실 일은 없습니다');
    expect(told?.text).toContain('132,000원');
    expect(told?.html).toContain('공연이 취소되었습니다');
    // Why, as the operator said it on cancelling.
    expect(told?.text).toContain('취소 사유');
    expect(told?.text).toContain('아티스트의 건강 문제로 공연이 취소되었습니다');
    expect(told?.html).toContain('아티스트의 건강 문제로 공연이 취소되었습니다');

    await eventually(() => expect(inboxOf(ordinary.email)).toHaveLength(1));
    const [plain] = inboxOf(ordinary.email);
    expect(plain?.subject).toBe('[Tiketi] Your refund is complete');
    expect(plain?.text).toContain('Sam, your booking was cancelled and your payment refunded.');
    expect(plain?.text).not.toContain('nothing you need to do');
  });

  it('retries a send the mail server refused through the bus, and sends it once', async () => {
    const user = knownUser('재시도', 'ko');
    mail.rejectNext(1);
    const expired = await publish('reservation.expired', {
      reservationId: randomUUID(),
      eventId: EVENT_ID,
      userId: user.id,
      seatIds: [randomUUID(), randomUUID()],
    });
    await eventually(() => expect(inboxOf(user.email)).toHaveLength(1));
    expect(inboxOf(user.email)[0]?.subject).toBe('[Tiketi] 좌석 선점 시간이 만료되었습니다');
    await drained();
    expect(inboxOf(user.email)).toHaveLength(1);
    const rows = await db
      .selectFrom('notifications')
      .select('status')
      .where('eventId', '=', expired.id)
      .execute();
    expect(rows).toEqual([{ status: 'sent' }]);
  });

  it('records and skips an email for a user nobody knows', async () => {
    const expired = await publish('reservation.expired', {
      reservationId: randomUUID(),
      eventId: EVENT_ID,
      userId: randomUUID(),
      seatIds: [randomUUID()],
    });
    await eventually(async () => {
      const row = await db
        .selectFrom('notifications')
        .select(['status', 'detail'])
        .where('eventId', '=', expired.id)
        .executeTakeFirst();
      expect(row).toEqual({ status: 'skipped', detail: 'unknown user' });
    });
  });

  it('mails a waiting-list offer once, with the link to its checkout and the time it ends in KST', async () => {
    const user = knownUser('민지', 'ko');
    const reservationId = randomUUID();
    const offer = makeEnvelope('waitlist.offered', {
      reservationId,
      eventId: EVENT_ID,
      userId: user.id,
      seatIds: [randomUUID(), randomUUID(), randomUUID()],
      seatLabels: ['A-7', 'Floor-P3', 'Floor-P4'],
      standingAreas: ['Floor'],
      amount: 150_000,
      expiresAt: '2027-03-01T03:30:00.000Z',
    });
    await bus.publish(offer);
    await bus.publish(offer);
    await eventually(() => expect(inboxOf(user.email)).toHaveLength(1));
    await drained();
    const [mailed] = inboxOf(user.email);
    expect(inboxOf(user.email)).toHaveLength(1);
    expect(mailed?.subject).toBe('[Tiketi] 대기하신 좌석이 나왔습니다');
    expect(mailed?.text).toContain(`http://localhost:3000/checkout/${reservationId}`);
    // Standing places are offered by count: the places the server picked mean nothing to the fan.
    expect(mailed?.text).toContain('A-7, Floor 스탠딩 × 2');
    expect(mailed?.text).not.toContain('Floor-P');
    expect(mailed?.text).toContain('150,000원');
    expect(mailed?.text).toContain('오후 12:30');
    expect(mailed?.text).toContain('IU — The Golden Hour');
  });

  it('tells a fan whose waiting-list offer lapsed that it went to the next fan, not that their hold expired', async () => {
    const user = knownUser('Offer', 'en');
    await publish('reservation.expired', {
      reservationId: randomUUID(),
      eventId: EVENT_ID,
      userId: user.id,
      seatIds: [randomUUID(), randomUUID()],
      waitlistOffer: true,
    });
    await eventually(() => expect(inboxOf(user.email)).toHaveLength(1));
    await drained();
    const mailed = inboxOf(user.email);
    expect(mailed.map((m) => m.subject)).toEqual(['[Tiketi] Your waiting-list offer expired']);
    expect(mailed[0]?.text).toContain(
      'went to the next fan on the list, or back on sale if nobody was waiting',
    );
    expect(mailed[0]?.text).toContain('no longer on this event');
    expect(mailed[0]?.text).not.toMatch(/hold expired/i);
  });

  it('names standing places by area when the lapsed offer or the partial refund names its places', async () => {
    const user = knownUser('Standing', 'en');
    await publish('reservation.expired', {
      reservationId: randomUUID(),
      eventId: EVENT_ID,
      userId: user.id,
      seatIds: [randomUUID(), randomUUID()],
      waitlistOffer: true,
      seatLabels: ['Floor-P7', 'Floor-P8'],
      standingAreas: ['Floor'],
    });
    await publish('payment.refunded', {
      paymentId: randomUUID(),
      orderId: 'order-standing-partial-1',
      reservationId: randomUUID(),
      eventId: EVENT_ID,
      userId: user.id,
      amount: 110_000,
      totalRefunded: 110_000,
      seatIds: [randomUUID()],
      full: false,
      reason: 'one place given back',
      seatLabels: ['Floor-P2'],
      standingAreas: ['Floor'],
    });
    await eventually(() => expect(inboxOf(user.email)).toHaveLength(2));
    const [lapsed, refunded] = ['waiting-list offer expired', 'partial refund'].map((s) =>
      inboxOf(user.email).find((m) => m.subject.includes(s)),
    );
    expect(lapsed?.text).toContain('the 2 tickets (Floor standing × 2) we held for you');
    expect(refunded?.text).toContain('1 ticket (Floor standing × 1) was cancelled and refunded');
    for (const m of [lapsed, refunded]) expect(m?.text).not.toMatch(/seat\(s\)|Floor-P/);
  });

  it('keeps the latest title and start of a concert, whatever order its updates arrive in', async () => {
    const updated = (eventId: string, title: string, startsAt: string, msAgo: number) => ({
      ...makeEnvelope('event.updated', {
        eventId,
        status: 'on_sale',
        title,
        startsAt,
        saleOpensAt: '2027-01-01T00:00:00.000Z',
        saleClosesAt: '2027-04-01T00:00:00.000Z',
        perUserLimit: 4,
        waitingRoom: { enabled: false, admissionRatePerMinute: 100, maxActiveShoppers: 100 },
        waitlistOfferMinutes: 30,
      }),
      occurredAt: new Date(Date.now() - msAgo).toISOString(),
    });
    const detailsOf = (eventId: string) =>
      db
        .selectFrom('eventDetails')
        .select(['title', 'startsAt'])
        .where('eventId', '=', eventId)
        .executeTakeFirst();
    const eventId = randomUUID();
    await bus.publish(updated(eventId, 'Moved Night', '2027-05-02T10:00:00.000Z', 1_000));
    await eventually(async () => expect((await detailsOf(eventId))?.title).toBe('Moved Night'));
    // The update before it, delivered again (a relay replay), then one of another event to know it was handled.
    await bus.publish(updated(eventId, 'First Night', '2027-05-01T10:00:00.000Z', 60_000));
    const marker = randomUUID();
    await bus.publish(updated(marker, 'Marker', '2027-05-01T10:00:00.000Z', 0));
    await eventually(async () => expect(await detailsOf(marker)).toBeDefined());
    expect(await detailsOf(eventId)).toEqual({
      title: 'Moved Night',
      startsAt: new Date('2027-05-02T10:00:00.000Z'),
    });
  });

  it('tells a fan on the waiting list of a cancelled concert that the list closed, with the reason', async () => {
    const fan = knownUser('Min-jun', 'en');
    const closed = makeEnvelope('waitlist.closed', {
      eventId: EVENT_ID,
      userId: fan.id,
      quantity: 2,
      reason: 'event_cancelled',
    });
    await bus.publish(closed);
    await bus.publish(closed);
    await eventually(() => expect(inboxOf(fan.email)).toHaveLength(1));
    const [mailed] = inboxOf(fan.email);
    expect(mailed?.subject).toBe('[Tiketi] Cancelled: IU — The Golden Hour');
    expect(mailed?.text).toContain('its waiting list has closed. You were not charged');
    expect(mailed?.text).toContain('Reason: 아티스트의 건강 문제로 공연이 취소되었습니다');
    expect(mailed?.text).toContain('Tickets asked for: 2');
    await drained();
    expect(inboxOf(fan.email)).toHaveLength(1);
  });

  it('tells each ticket holder once when their concert moves, in their language, with the time they bought for', async () => {
    const eventId = randomUUID();
    const minji = knownUser('김민지', 'ko');
    const alex = knownUser('Alex', 'en');
    const refunded = knownUser('Refunded Fan', 'en');
    const ticket = (userId: string, status: 'ISSUED' | 'USED' | 'VOIDED', seatLabel: string) => ({
      ticketId: randomUUID(),
      reservationId: randomUUID(),
      userId,
      seatLabel,
      tierName: 'R',
      status,
      issuedAt: new Date().toISOString(),
      usedAt: null,
      entrySection: null,
      entryNumber: null,
    });
    attendees.set(eventId, [
      ticket(minji.id, 'ISSUED', 'A-1-1'),
      ticket(minji.id, 'ISSUED', 'A-1-2'),
      ticket(alex.id, 'ISSUED', 'B-3-7'),
      ticket(refunded.id, 'VOIDED', 'C-1-1'),
    ]);
    const moved = makeEnvelope('event.rescheduled', {
      eventId,
      title: 'Seoul Spring Live',
      previousStartsAt: '2027-04-10T10:00:00.000Z',
      startsAt: '2027-04-17T11:30:00.000Z',
    });
    await bus.publish(moved);
    await bus.publish(moved);
    await eventually(() => expect(inboxOf(alex.email)).toHaveLength(1));
    await eventually(() => expect(inboxOf(minji.email)).toHaveLength(1));
    const [en] = inboxOf(alex.email);
    expect(en?.subject).toBe('[Tiketi] Seoul Spring Live has moved to a new date');
    expect(en?.text).toContain('When: Saturday, 17 April 2027 at 20:30 (KST)');
    expect(en?.text).toContain('Was: Saturday, 10 April 2027 at 19:00 (KST)');
    expect(en?.text).toContain('Your ticket stays valid for the new time');
    // One order of the concert: the button opens it.
    const alexOrder = attendees.get(eventId)?.find((t) => t.userId === alex.id)?.reservationId;
    expect(en?.html).toContain(`href="http://localhost:3000/me/tickets?order=${alexOrder}&amp;lang=en"`);
    const [ko] = inboxOf(minji.email);
    expect(ko?.subject).toBe('[Tiketi] 공연 일정 변경: Seoul Spring Live');
    expect(ko?.text).toContain('2027년 4월 17일 토요일 오후 8:30');
    expect(ko?.text).toContain('2매');
    // Two orders (each ticket was bought on its own): the button opens all of them.
    expect(ko?.html).toContain('href="http://localhost:3000/me/tickets?lang=ko"');
    await drained();
    expect(inboxOf(alex.email)).toHaveLength(1);
    expect(inboxOf(minji.email)).toHaveLength(1);
    expect(inboxOf(refunded.email)).toEqual([]);
  });

  it('sends one email when two deliveries of an event race past the inbox', async () => {
    const user = knownUser('Race', 'en');
    const event = makeEnvelope('reservation.expired', {
      reservationId: randomUUID(),
      eventId: EVENT_ID,
      userId: user.id,
      seatIds: [randomUUID()],
    });
    await Promise.all([notifier.notify(event), notifier.notify(event)]);
    expect(inboxOf(user.email)).toHaveLength(1);
  });

  it('sends through the SendGrid v3 API when configured for it', async () => {
    const viaSendGrid = createNotifier({
      db,
      mailer: sendGridMailer({ apiUrl: mail.httpUrl, apiKey: 'SG.test-key', from }),
      directory,
      webUrl: 'http://localhost:3000',
      logger: testLogger(),
    });
    const email = `grid-${randomUUID()}@example.com`;
    const event = makeEnvelope('user.registered', {
      userId: randomUUID(),
      email,
      name: 'Grid',
      locale: 'en',
      provider: 'google',
    });
    await viaSendGrid.notify(event);
    expect(inboxOf(email)).toMatchObject([
      { via: 'sendgrid', subject: '[Tiketi] Welcome to Tiketi', from: 'Tiketi <no-reply@tiketi.dev>' },
    ]);
    const row = await db
      .selectFrom('notifications')
      .select(['transport', 'providerMessageId'])
      .where('eventId', '=', event.id)
      .executeTakeFirst();
    expect(row?.transport).toBe('sendgrid');
    expect(row?.providerMessageId).toBeTruthy();
  });

  /** The service's HTTP side over this suite's database and notifier, with tokens it trusts. */
  async function httpApi() {
    const tokens = await createTestTokens();
    const app = await buildApp({
      db,
      notifier,
      logger: testLogger(),
      readiness: {},
      auth: { jwks: tokens.jwks },
    });
    return { tokens, app };
  }

  it('lists sent emails to admins only', async () => {
    const { tokens, app } = await httpApi();
    const userId = randomUUID();
    const email = `listed-${userId}@example.com`;
    await notifier.notify(
      makeEnvelope('user.registered', {
        userId,
        email,
        name: 'Listed',
        locale: 'ko',
        provider: 'google',
      }),
    );
    const admin = await tokens.sign({ id: randomUUID(), role: 'admin' });
    const res = await app.inject({
      url: `/api/notifications?userId=${userId}`,
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      total: 1,
      items: [
        { userId, recipient: email, template: 'welcome', status: 'sent', againOf: null, canSendAgain: true },
      ],
    });
    // What the mail was written from stays inside the service.
    expect(Object.keys(res.json().items[0])).not.toContain('source');
    const fan = await tokens.sign({ id: userId });
    const refused = await app.inject({
      url: '/api/notifications',
      headers: { authorization: `Bearer ${fan}` },
    });
    expect(refused.statusCode).toBe(403);
    await app.close();
  });

  it('sends a ticket email again at an operator’s request, as a new mail that names the first', async () => {
    const { tokens, app } = await httpApi();
    const admin = await tokens.sign({ id: randomUUID(), role: 'admin' });
    const asAdmin = { authorization: `Bearer ${admin}` };
    const fan = knownUser('Hanni Pham', 'en');
    const reservationId = randomUUID();
    const ticketId = randomUUID();
    documents.set(reservationId, [
      {
        id: ticketId,
        seatLabel: 'B-2-7',
        entrySection: null,
        entryNumber: null,
        code: 'QWERT23456',
        qr: 'q',
      },
    ]);
    const issued = makeEnvelope('ticket.issued', {
      reservationId,
      eventId: EVENT_ID,
      userId: fan.id,
      tickets: [{ ticketId, seatId: randomUUID(), seatLabel: 'B-2-7' }],
    });
    await notifier.notify(issued);
    expect(inboxOf(fan.email)).toHaveLength(1);
    const first = await db
      .selectFrom('notifications')
      .select(['id', 'dedupeKey'])
      .where('eventId', '=', issued.id)
      .executeTakeFirstOrThrow();
    // The send was left unconfirmed (the process stopped mid-send): the record says so, the fan may have nothing.
    await sql`update notifications set status = 'unconfirmed' where id = ${first.id}`.execute(db);

    const again = await app.inject({
      method: 'POST',
      url: `/api/notifications/${first.id.toUpperCase()}/send-again`,
      headers: asAdmin,
    });
    expect(again.statusCode, again.body).toBe(201);
    expect(again.json()).toMatchObject({
      againOf: first.id,
      template: 'tickets-issued',
      status: 'sent',
      recipient: fan.email,
      canSendAgain: false,
    });
    const mails = inboxOf(fan.email);
    expect(mails).toHaveLength(2);
    expect(mails.map((m) => m.subject)).toEqual([mails[0]?.subject, mails[0]?.subject]);
    expect(mails[0]?.attachments.find((a) => !a.inline)?.filename).toBe(`tiketi-${reservationId}.pdf`);
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(2);
    // Another copy later is a mail of its own too; a copy itself is not sent again.
    const twice = await app.inject({
      method: 'POST',
      url: `/api/notifications/${first.id}/send-again`,
      headers: asAdmin,
    });
    expect(twice.statusCode, twice.body).toBe(201);
    expect(inboxOf(fan.email)).toHaveLength(3);
    const copy = await app.inject({
      method: 'POST',
      url: `/api/notifications/${again.json().id}/send-again`,
      headers: asAdmin,
    });
    expect(copy.statusCode).toBe(409);
    expect(copy.json()).toMatchObject({ code: 'CANNOT_SEND_AGAIN' });
    const listed = await app.inject({ url: `/api/notifications?userId=${fan.id}`, headers: asAdmin });
    expect(listed.json().items.map((n: { againOf: string | null }) => n.againOf)).toEqual([
      first.id,
      first.id,
      null,
    ]);
    const requested = await db
      .selectFrom('notifications')
      .select('requestedBy')
      .where('againOf', '=', first.id)
      .execute();
    expect(requested.map((r) => r.requestedBy)).toEqual([expect.any(String), expect.any(String)]);

    // A one-time link is never kept nor sent again; a fan may not send anything; an unknown mail is a 404.
    const reset = makeEnvelope('user.password_reset_requested', {
      userId: fan.id,
      email: fan.email,
      name: fan.name,
      locale: 'en',
      token: 'reset-token-that-must-not-be-kept',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    await notifier.notify(reset);
    const link = await db
      .selectFrom('notifications')
      .select(['id', 'source'])
      .where('eventId', '=', reset.id)
      .executeTakeFirstOrThrow();
    expect(link.source).toBeNull();
    const linkAgain = await app.inject({
      method: 'POST',
      url: `/api/notifications/${link.id}/send-again`,
      headers: asAdmin,
    });
    expect(linkAgain.statusCode).toBe(409);
    const byFan = await app.inject({
      method: 'POST',
      url: `/api/notifications/${first.id}/send-again`,
      headers: { authorization: `Bearer ${await tokens.sign({ id: fan.id })}` },
    });
    expect(byFan.statusCode).toBe(403);
    const unknown = await app.inject({
      method: 'POST',
      url: `/api/notifications/${randomUUID()}/send-again`,
      headers: asAdmin,
    });
    expect(unknown.statusCode).toBe(404);
    expect(inboxOf(fan.email)).toHaveLength(4);
    await app.close();
  });

  it('does not send again what is no longer true: tickets refunded since, an offer that is over', async () => {
    const { tokens, app } = await httpApi();
    const asAdmin = { authorization: `Bearer ${await tokens.sign({ id: randomUUID(), role: 'admin' })}` };
    const fan = knownUser('Minji Kim', 'ko');
    const sendAgain = async (eventId: string) => {
      const { id } = await db
        .selectFrom('notifications')
        .select('id')
        .where('eventId', '=', eventId)
        .executeTakeFirstOrThrow();
      return app.inject({ method: 'POST', url: `/api/notifications/${id}/send-again`, headers: asAdmin });
    };

    // Tickets mailed, then the whole order refunded: the reservation service has no valid ticket of it.
    const refunded = randomUUID();
    const ticketId = randomUUID();
    documents.set(refunded, [
      {
        id: ticketId,
        seatLabel: 'A-1-1',
        entrySection: null,
        entryNumber: null,
        code: 'ASDFG23456',
        qr: 'q',
      },
    ]);
    const issued = makeEnvelope('ticket.issued', {
      reservationId: refunded,
      eventId: EVENT_ID,
      userId: fan.id,
      tickets: [{ ticketId, seatId: randomUUID(), seatLabel: 'A-1-1' }],
    });
    await notifier.notify(issued);
    documents.delete(refunded);
    const stale = await sendAgain(issued.id);
    expect(stale.statusCode, stale.body).toBe(409);
    expect(stale.json()).toMatchObject({ code: 'CANNOT_SEND_AGAIN', reason: 'tickets_void' });
    expect(stale.json().detail).toMatch(/no valid ticket/);

    // An order refunded before its tickets mail's turn came gets no "your tickets are ready" at all.
    const late = makeEnvelope('ticket.issued', {
      reservationId: randomUUID(),
      eventId: EVENT_ID,
      userId: fan.id,
      tickets: [{ ticketId: randomUUID(), seatId: randomUUID(), seatLabel: 'A-1-2' }],
    });
    await notifier.notify(late);
    const record = await db
      .selectFrom('notifications')
      .select(['status', 'detail', 'recipient'])
      .where('eventId', '=', late.id)
      .executeTakeFirstOrThrow();
    expect(record).toMatchObject({ status: 'skipped', recipient: null });
    expect(record.detail).toMatch(/no valid ticket/);

    // A waiting-list offer: sent again while it stands, refused once it lapsed.
    const offerId = randomUUID();
    const offer = {
      id: offerId,
      userId: fan.id,
      eventId: EVENT_ID,
      status: 'PENDING' as const,
      amount: 99_000,
      expiresAt: new Date(Date.now() + 600_000).toISOString(),
      seats: [{ id: randomUUID(), label: 'B-1-1', price: 99_000 }],
      usedSeatIds: [],
    };
    reservations.set(offerId, offer);
    const offered = makeEnvelope('waitlist.offered', {
      reservationId: offerId,
      eventId: EVENT_ID,
      userId: fan.id,
      seatIds: [offer.seats[0]?.id ?? ''],
      seatLabels: ['B-1-1'],
      standingAreas: [],
      amount: 99_000,
      expiresAt: offer.expiresAt,
    });
    await notifier.notify(offered);
    expect((await sendAgain(offered.id)).statusCode).toBe(201);
    reservations.set(offerId, { ...offer, status: 'EXPIRED' });
    const over = await sendAgain(offered.id);
    expect(over.statusCode, over.body).toBe(409);
    expect(over.json()).toMatchObject({ code: 'CANNOT_SEND_AGAIN', reason: 'offer_over' });
    expect(over.json().detail).toMatch(/offer is over/);
    // The first two mails and the one copy sent while the offer stood; nothing after.
    expect(inboxOf(fan.email)).toHaveLength(3);
    await app.close();
  });

  it('marks a mail sent again whose process stopped mid-send unconfirmed, since no redelivery will', async () => {
    const { tokens, app } = await httpApi();
    const admin = await tokens.sign({ id: randomUUID(), role: 'admin' });
    const fan = knownUser('Danielle Marsh', 'en');
    const welcome = makeEnvelope('user.registered', {
      userId: fan.id,
      email: fan.email,
      name: fan.name,
      locale: 'en',
      provider: 'google',
    });
    await notifier.notify(welcome);
    const first = await db
      .selectFrom('notifications')
      .select('id')
      .where('eventId', '=', welcome.id)
      .executeTakeFirstOrThrow();
    const sendAgain = async () => {
      const res = await app.inject({
        method: 'POST',
        url: `/api/notifications/${first.id}/send-again`,
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().id as string;
    };
    // Two copies whose processes stopped before the provider answered: one twenty minutes ago, one now.
    const [stale, fresh] = [await sendAgain(), await sendAgain()];
    await sql`update notifications set status = 'sending', created_at = now() - interval '20 minutes'
      where id = ${stale}`.execute(db);
    await sql`update notifications set status = 'sending' where id = ${fresh}`.execute(db);

    expect(await notifier.settleAbandoned(10 * 60_000)).toBe(1);
    const states = await db
      .selectFrom('notifications')
      .select(['id', 'status', 'detail'])
      .where('id', 'in', [stale, fresh])
      .execute();
    expect(Object.fromEntries(states.map((n) => [n.id, n.status]))).toEqual({
      [stale]: 'unconfirmed',
      [fresh]: 'sending',
    });
    expect(states.find((n) => n.id === stale)?.detail).toMatch(/never finished/);
    await app.close();
  });
});
