import type { AdminUpstream } from '@tiketi/contracts';
import { challengeHeader, testLogger } from '@tiketi/kit/testing';
import { expect } from 'vitest';
import { startServicesInProcess } from '../../../tests/support/in-process-services.ts';
import { buildApp as buildAdmin } from '../src/app.ts';

/** Nothing listens on port 9 (discard): an upstream that is down. */
export const DOWN = 'http://127.0.0.1:9';

/**
 * The real user, event, reservation, payment, analytics and queue services in this process (with the Toss
 * sandbox), each on its own test database and Redis prefix, sharing one test exchange so that events flow
 * between them as in production, and admin services built over them.
 */
export async function startPlatform(label: string) {
  const services = await startServicesInProcess({ label });
  const { urls } = services;
  const upstreams: Record<AdminUpstream, string> = {
    user: urls.user,
    event: urls.event,
    reservation: urls.reservation,
    analytics: urls.analytics,
    queue: urls.queue,
    payment: urls.payment,
  };

  /** An admin service over these upstreams; `overrides` points some elsewhere (a closed port). */
  async function admin(overrides: Partial<Record<AdminUpstream, string>> = {}) {
    const app = await buildAdmin({
      logger: testLogger(),
      jwks: services.jwks,
      internalToken: services.internalToken,
      upstreams: { ...upstreams, ...overrides },
      timeoutMs: 15_000,
      retries: 0,
    });
    services.onClose(() => app.close());
    return app;
  }

  return { ...services, urls: upstreams, admin };
}

export type Platform = Awaited<ReturnType<typeof startPlatform>>;

const PASSWORD = 'correct-horse-1';
const daysFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

/** An account registered through the user service, its address verified, signed in. */
export async function signedUp(platform: Platform, email: string, name = email.split('@')[0] ?? email) {
  const res = await platform.users.app.inject({
    method: 'POST',
    url: '/api/auth/register',
    headers: await challengeHeader({}, 'register'),
    payload: { email, password: PASSWORD, name },
  });
  expect(res.statusCode).toBe(201);
  await platform.users.verifyEmail((res.json() as { user: { id: string } }).user.id);
  return signIn(platform, email);
}

async function signIn(platform: Platform, email: string) {
  const res = await platform.users.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { email, password: PASSWORD },
  });
  const body = res.json() as { user: { id: string }; accessToken: string };
  return { user: body.user, headers: { authorization: `Bearer ${body.accessToken}` } };
}

/** An operator: an account promoted as the demo seed makes one, signed in again to carry the role. */
export async function operatorOf(platform: Platform, email: string) {
  const account = await signedUp(platform, email);
  await platform.users.db
    .updateTable('users')
    .set({ role: 'admin' })
    .where('id', '=', account.user.id)
    .execute();
  return { user: account.user, asAdmin: (await signIn(platform, email)).headers };
}

type Section =
  | { name: string; rows: { label: string; seatCount: number; tierKey: string }[] }
  | { name: string; standing: { capacity: number; tierKey: string } };

/**
 * An on-sale event made and published through the event service's admin API, on a venue of its own (the
 * reservation service keys its inventory by the venue's seat ids): ten R seats unless told otherwise.
 */
export async function publishedEvent(
  platform: Platform,
  asAdmin: { authorization: string },
  options: {
    title: string;
    waitingRoom?: boolean;
    sections?: Section[];
    priceTiers?: { key: string; name: string; price: number }[];
  },
) {
  async function created(url: string, payload: object) {
    const res = await platform.event.inject({ method: 'POST', url, headers: asAdmin, payload });
    expect(res.statusCode, url).toBe(201);
    return (res.json() as { id: string }).id;
  }
  const artistId = await created('/api/artists', { name: `${options.title} Artist`, genre: 'K-pop' });
  const venueId = await created('/api/venues', {
    name: `${options.title} Hall`,
    city: 'Seoul',
    sections: options.sections ?? [{ name: 'A', rows: [{ label: '1', seatCount: 10, tierKey: 'R' }] }],
  });
  const id = await created('/api/events', {
    artistId,
    venueId,
    title: options.title,
    startsAt: daysFromNow(30),
    saleOpensAt: daysFromNow(-1),
    saleClosesAt: daysFromNow(29),
    perUserLimit: 4,
    priceTiers: options.priceTiers ?? [{ key: 'R', name: 'R seat', price: 88_000 }],
    waitingRoom: {
      enabled: options.waitingRoom ?? false,
      admissionRatePerMinute: 600,
      maxActiveShoppers: 50,
    },
  });
  const res = await platform.event.inject({
    method: 'POST',
    url: `/api/events/${id}/publish`,
    headers: asAdmin,
  });
  expect(res.statusCode).toBe(200);
  return id;
}
