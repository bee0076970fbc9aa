import type { AdminUpstream } from '@tiketi/contracts';
import { testLogger } from '@tiketi/kit/testing';
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
