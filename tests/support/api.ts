import { randomUUID } from 'node:crypto';
import { challengeHeader } from '@tiketi/kit/testing';
import { verificationLink } from '@tiketi/sandbox-mail/client';
import type { IsolatedPlatform } from './platform.ts';
import { eventually } from './platform.ts';

// biome-ignore lint/suspicious/noExplicitAny: bodies of every shape, checked by the assertions that read them
export type Reply = { status: number; body: any; text: string; headers: Headers };

/** One HTTP call; the body is parsed when it is JSON. Never throws for a status. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | Buffer | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body as BodyInit | undefined,
    redirect: 'manual',
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

export type Account = { id: string; email: string; password: string; token: string; refreshToken: string };

/** Client of the platform under test, through its gateway, with the setup steps of a purchase. */
export function client(p: IsolatedPlatform) {
  /** Every password and token this client was given: none may ever appear in a log line. */
  const issued: string[] = [];
  const gw = (method: string, path: string, options: Parameters<typeof call>[3] = {}) =>
    call(p.gateway, method, path, options);

  /** A registered account whose address is not verified yet: it signs in but holds no seats. */
  async function signUpUnverified(name = 'fan'): Promise<Account> {
    const email = `${name}-${randomUUID().slice(0, 8)}@example.com`;
    const password = `pw-${randomUUID()}`;
    const res = await gw('POST', '/api/auth/register', {
      body: { email, password, name },
      headers: await challengeHeader(p.gateway, 'register'),
    });
    if (res.status !== 201) throw new Error(`register: ${res.status} ${res.text}\n${p.errors()}`);
    issued.push(password, res.body.accessToken, res.body.refreshToken);
    return {
      id: res.body.user.id,
      email,
      password,
      token: res.body.accessToken,
      refreshToken: res.body.refreshToken,
    };
  }

  /**
   * Proves the account's address as its owner does: the link from the verification mail (caught by the
   * mail sandbox) through the web app's endpoint, then a refresh for tokens that say so.
   */
  async function verifyEmail(account: Account): Promise<Account> {
    const link = await verificationLink(p.url('sandbox-mail'), account.email, { timeoutMs: 30_000 });
    const token = link.searchParams.get('token') ?? '';
    const verified = await gw('POST', '/api/auth/verify-email', { body: { token } });
    if (verified.status !== 200) throw new Error(`verify-email: ${verified.status} ${verified.text}`);
    const res = await gw('POST', '/api/auth/refresh', { body: { refreshToken: account.refreshToken } });
    if (res.status !== 200) throw new Error(`refresh: ${res.status} ${res.text}`);
    issued.push(token, res.body.accessToken, res.body.refreshToken);
    return { ...account, token: res.body.accessToken, refreshToken: res.body.refreshToken };
  }

  /** A registered account with its address verified, as every buyer has. */
  async function signUp(name = 'fan'): Promise<Account> {
    return verifyEmail(await signUpUnverified(name));
  }

  /** An operator: a signed-up account given the admin role in its database, then signed in again. */
  async function signUpAdmin(): Promise<Account> {
    const account = await signUp('admin');
    await p.db('user').query(`update users set role = 'admin' where id = $1`, [account.id]);
    const res = await gw('POST', '/api/auth/login', {
      body: { email: account.email, password: account.password },
    });
    if (res.status !== 200) throw new Error(`login: ${res.status} ${res.text}`);
    issued.push(res.body.accessToken, res.body.refreshToken);
    return { ...account, token: res.body.accessToken, refreshToken: res.body.refreshToken };
  }

  /** Door staff: an account an operator creates through the admin API, then signed in. */
  async function staffAccount(admin: Account): Promise<Account> {
    const email = `staff-${randomUUID()}@example.com`;
    const password = `door-${randomUUID()}`;
    const made = await gw('POST', '/api/users/staff', {
      token: admin.token,
      body: { email, password, name: 'Door staff' },
    });
    if (made.status !== 201) throw new Error(`staff: ${made.status} ${made.text}`);
    const res = await gw('POST', '/api/auth/login', { body: { email, password } });
    if (res.status !== 200) throw new Error(`login: ${res.status} ${res.text}`);
    issued.push(password, res.body.accessToken, res.body.refreshToken);
    return {
      id: made.body.id,
      email,
      password,
      token: res.body.accessToken,
      refreshToken: res.body.refreshToken,
    };
  }

  /** An on-sale event with `seats` seats at 99,000 KRW, once the reservation service has its inventory. */
  async function onSaleEvent(admin: Account, seats: number, overrides: Record<string, unknown> = {}) {
    const artist = await gw('POST', '/api/artists', {
      token: admin.token,
      body: { name: 'Fault Line', genre: 'Rock' },
    });
    const rows = Math.ceil(seats / 20);
    const venue = await gw('POST', '/api/venues', {
      token: admin.token,
      body: {
        name: `Hall ${randomUUID().slice(0, 6)}`,
        city: 'Seoul',
        sections: [
          {
            name: 'A',
            rows: Array.from({ length: rows }, (_, r) => ({
              label: String(r + 1),
              seatCount: Math.min(20, seats - r * 20),
              tierKey: 'R',
            })),
          },
        ],
      },
    });
    const day = 86_400_000;
    const event = await gw('POST', '/api/events', {
      token: admin.token,
      body: {
        artistId: artist.body.id,
        venueId: venue.body.id,
        title: 'Proof Night',
        startsAt: new Date(Date.now() + 30 * day).toISOString(),
        saleOpensAt: new Date(Date.now() - day).toISOString(),
        saleClosesAt: new Date(Date.now() + 29 * day).toISOString(),
        perUserLimit: 10,
        priceTiers: [{ key: 'R', name: 'R', price: 99_000 }],
        ...overrides,
      },
    });
    if (event.status !== 201) throw new Error(`event: ${event.status} ${event.text}`);
    const eventId = event.body.id as string;
    const published = await gw('POST', `/api/events/${eventId}/publish`, { token: admin.token });
    if (published.status !== 200) throw new Error(`publish: ${published.status} ${published.text}`);
    const seatIds = await eventually(async () => {
      const map = await gw('GET', `/api/seats/event/${eventId}`);
      if (map.status !== 200 || map.body.seats.length !== seats) throw new Error(`seat map: ${map.status}`);
      return (map.body.seats as { id: string }[]).map((s) => s.id);
    });
    // The payment service learns the schedule from the same event; it needs it to take payments.
    await eventually(async () => {
      const { rowCount } = await p
        .db('payment')
        .query('select 1 from event_schedule where event_id = $1', [eventId]);
      if (!rowCount) throw new Error('payment service does not know the event yet');
    });
    return { eventId, seatIds };
  }

  function hold(user: Account, eventId: string, seatIds: string[]) {
    return gw('POST', '/api/reservations', { token: user.token, body: { eventId, seatIds } });
  }

  function requestPayment(user: Account, reservationId: string, amount: number) {
    return gw('POST', '/api/payments/toss/request', {
      token: user.token,
      body: { reservationId, amount, customerInfo: { name: 'Fan', email: user.email } },
    });
  }

  /** What the customer does on Toss's checkout page (the sandbox's control endpoint). */
  async function payAtToss(paymentUrl: string, outcome: 'approve' | 'reject' = 'approve') {
    const key = new URL(paymentUrl).pathname.split('/').pop() ?? '';
    const res = await call(p.url('sandbox-toss'), 'POST', `/sandbox/payments/${key}/authorize`, {
      body: { outcome },
    });
    if (res.status !== 200) throw new Error(`authorize: ${res.status} ${res.text}`);
    return {
      paymentKey: res.body.paymentKey as string,
      orderId: res.body.orderId as string,
      amount: res.body.amount as number,
    };
  }

  function confirm(user: Account, body: { paymentKey: string; orderId: string; amount: number }) {
    return gw('POST', '/api/payments/toss/confirm', { token: user.token, body });
  }

  /** Hold, open the checkout and pay at Toss: ready to confirm. */
  async function checkout(user: Account, eventId: string, seatIds: string[]) {
    const held = await hold(user, eventId, seatIds);
    if (held.status !== 201) throw new Error(`hold: ${held.status} ${held.text}`);
    const opened = await requestPayment(user, held.body.reservationId, held.body.amount);
    if (opened.status !== 201) throw new Error(`request: ${opened.status} ${opened.text}`);
    const paid = await payAtToss(opened.body.paymentUrl);
    return {
      reservationId: held.body.reservationId as string,
      paymentId: opened.body.paymentId as string,
      paid,
    };
  }

  /** Sets a fault on the Toss sandbox's next call of one operation. */
  function tossFault(fault: { operation: string; mode: string; delayMs?: number; times?: number }) {
    return call(p.url('sandbox-toss'), 'POST', '/sandbox/faults', { body: fault });
  }

  return {
    issued,
    gw,
    signUp,
    signUpUnverified,
    verifyEmail,
    signUpAdmin,
    staffAccount,
    onSaleEvent,
    hold,
    requestPayment,
    payAtToss,
    confirm,
    checkout,
    tossFault,
  };
}
