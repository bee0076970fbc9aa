import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  ACCESS_TOKEN,
  type AltchaChallenge,
  CHALLENGE_HEADER,
  type ChallengePurpose,
} from '@tiketi/contracts';
import { solveAltcha } from '@tiketi/kit';
import { verificationLink } from '@tiketi/sandbox-mail/client';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { expectStatus, type JsonClient } from './http.ts';
import { round, sleep } from './stats.ts';

export type Account = { id: string; email: string; token: string };

/**
 * The access-token signing key, made by the bench and handed to the user service (`JWT_PRIVATE_JWK`, the
 * operator's way of providing keys). Every service verifies tokens against the user service's JWKS as
 * always; the bench uses the key only to mint tokens for the waiting-room crowd of scenario 4.
 */
export async function benchSigningKey(): Promise<string> {
  const pair = await generateKeyPair(ACCESS_TOKEN.algorithm, { crv: 'Ed25519', extractable: true });
  const jwk: JWK = { ...(await exportJWK(pair.privateKey)), kid: `bench-${randomUUID()}` };
  return JSON.stringify(jwk);
}

/** Signs access tokens exactly as the user service does for a verified account, with the key it was given. */
export async function tokenMinter(privateJwk: string) {
  const jwk = JSON.parse(privateJwk) as JWK;
  const key = await importJWK({ ...jwk, alg: ACCESS_TOKEN.algorithm }, ACCESS_TOKEN.algorithm);
  return (userId: string, email: string): Promise<string> =>
    // The crowd stands for verified fans, as the user service signs them once their address is proved.
    new SignJWT({ role: 'user', email, email_verified: true })
      .setProtectedHeader({ alg: ACCESS_TOKEN.algorithm, kid: String(jwk.kid), typ: 'JWT' })
      .setIssuer(ACCESS_TOKEN.issuer)
      .setAudience(ACCESS_TOKEN.audience)
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(key);
}

type Session = { user: { id: string; email: string }; accessToken: string; refreshToken: string };

/** The `X-Altcha` header for one register or join: the challenge fetched and solved as a fan's browser does. */
export async function challengeHeader(
  api: JsonClient,
  purpose: ChallengePurpose,
  eventId?: string,
): Promise<Record<string, string>> {
  const query = new URLSearchParams({ purpose, ...(eventId ? { eventId } : {}) });
  const challenge = expectStatus(await api.get<AltchaChallenge>(`/api/challenge?${query}`), 200, 'challenge');
  return { [CHALLENGE_HEADER]: await solveAltcha(challenge) };
}

export async function login(api: JsonClient, email: string, password: string): Promise<Account> {
  const s = expectStatus(await api.post<Session>('/api/auth/login', { email, password }), 200, 'login');
  return { id: s.user.id, email: s.user.email, token: s.accessToken };
}

/**
 * Real accounts, registered through the gateway `concurrency` at a time, each verified as its owner does
 * it (the link from the verification mail the sandbox caught, then a refresh for tokens that say so): only
 * verified accounts hold seats. The rate counts both steps.
 */
export async function registerAccounts(
  api: JsonClient,
  count: number,
  runId: string,
  /** The mail sandbox of the bench's platform, where the verification mails arrive. */
  mailInbox: string,
  concurrency = 32,
): Promise<{ accounts: Account[]; perSecond: number }> {
  const accounts: Account[] = new Array(count);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const email = `fan-${i}-${runId}@bench.tiketi.test`;
        const answer = await api.post<Session>(
          '/api/auth/register',
          { email, password: `bench-password-${runId}`, name: `Fan ${i}` },
          undefined,
          await challengeHeader(api, 'register'),
        );
        const s = expectStatus(answer, 201, 'register');
        const link = await verificationLink(mailInbox, email, { timeoutMs: 120_000 });
        expectStatus(
          await api.post('/api/auth/verify-email', { token: link.searchParams.get('token') }),
          200,
          'verify email',
        );
        const fresh = expectStatus(
          await api.post<Session>('/api/auth/refresh', { refreshToken: s.refreshToken }),
          200,
          'refresh',
        );
        accounts[i] = { id: s.user.id, email: s.user.email, token: fresh.accessToken };
      }
    }),
  );
  return { accounts, perSecond: round(count / ((performance.now() - t0) / 1000)) };
}

/** Rows of 25 seats, sections of up to 40 rows: a venue of about `seats` seats, priced in two tiers. */
function layout(seats: number) {
  const sections: { name: string; rows: { label: string; seatCount: number; tierKey: string }[] }[] = [];
  let left = seats;
  for (let s = 0; left > 0; s++) {
    const rows: { label: string; seatCount: number; tierKey: string }[] = [];
    for (let r = 0; r < 40 && left > 0; r++) {
      const n = Math.min(25, left);
      rows.push({ label: String(r + 1), seatCount: n, tierKey: s === 0 ? 'R' : 'S' });
      left -= n;
    }
    sections.push({ name: `S${s + 1}`, rows });
  }
  return sections;
}

const PRICES: Record<string, number> = { R: 143_000, S: 121_000 };

export type BenchEvent = { id: string; seats: number; seatIds: string[] };

type SeatMap = {
  counts: { available: number; held: number; sold: number };
  seats: { id: string; status: string; label: string; price: number }[];
};

/**
 * A fresh on-sale event made the way an operator makes one (artist, venue with its layout, event,
 * publish, all through the gateway as the admin), ready once the reservation service shows its seats.
 */
export async function createEvent(
  api: JsonClient,
  admin: Account,
  options: {
    title: string;
    seats: number;
    perUserLimit: number;
    waitingRoom?: { enabled: boolean; admissionRatePerMinute: number; maxActiveShoppers: number };
    /** When the sale opens, relative to now (default: it is already open). */
    opensInMs?: number;
  },
): Promise<BenchEvent> {
  const artist = expectStatus(
    await api.post<{ id: string }>(
      '/api/artists',
      { name: `${options.title} artist`, genre: 'Bench' },
      admin.token,
    ),
    201,
    'create artist',
  );
  const venue = expectStatus(
    await api.post<{ id: string; tierKeys: string[] }>(
      '/api/venues',
      { name: `${options.title} hall`, city: 'Seoul', sections: layout(options.seats) },
      admin.token,
    ),
    201,
    'create venue',
  );
  const now = Date.now();
  const day = 86_400_000;
  const event = expectStatus(
    await api.post<{ id: string }>(
      '/api/events',
      {
        artistId: artist.id,
        venueId: venue.id,
        title: options.title,
        startsAt: new Date(now + 30 * day).toISOString(),
        saleOpensAt: new Date(now + (options.opensInMs ?? -60_000)).toISOString(),
        saleClosesAt: new Date(now + 29 * day).toISOString(),
        perUserLimit: options.perUserLimit,
        ...(options.waitingRoom ? { waitingRoom: options.waitingRoom } : {}),
        priceTiers: venue.tierKeys.map((key) => ({ key, name: key, price: PRICES[key] ?? 99_000 })),
      },
      admin.token,
    ),
    201,
    'create event',
  );
  expectStatus(await api.post(`/api/events/${event.id}/publish`, {}, admin.token), 200, 'publish event');
  const deadline = Date.now() + 120_000;
  for (;;) {
    // The availability is small whatever the venue: poll it, then read the whole map once.
    const ready = await api.get<{ counts: SeatMap['counts'] }>(`/api/seats/event/${event.id}/availability`);
    if (ready.status === 200 && ready.body.counts.available === options.seats) {
      const map = expectStatus(await api.get<SeatMap>(`/api/seats/event/${event.id}`), 200, 'seat map');
      return { id: event.id, seats: options.seats, seatIds: map.seats.map((s) => s.id) };
    }
    if (Date.now() > deadline) {
      throw new Error(`the reservation service did not show the ${options.seats} seats of ${options.title}`);
    }
    await sleep(250);
  }
}

export type { SeatMap };
