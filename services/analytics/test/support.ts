import type { Kysely } from '@tiketi/kit';
import { createTestTokens, openTestInfra, testConfig, testLogger } from '@tiketi/kit/testing';
import { buildApp, defaultSettings } from '../src/app.ts';
import { eventProjectionRepository } from '../src/db/event-projection.repository.ts';
import type { DB } from '../src/db/schema.ts';

const migrations = new URL('../migrations', import.meta.url).pathname;

/**
 * The analytics service on its own database, Redis prefix (and exchange, with `bus`), with a clock the
 * test moves. The event service is unreachable: attribution comes from the projection.
 */
export async function openAnalytics<B extends boolean = false>(
  label: string,
  options: { bus?: B; rateLimit?: number } = {},
) {
  const config = testConfig(label);
  const infra = await openTestInfra<
    { service: string; database: { name: string; migrations: string }; redis: true; bus: B },
    DB
  >(
    {
      service: 'analytics',
      database: { name: 'unused', migrations },
      redis: true,
      bus: (options.bus ?? false) as B,
    },
    config,
  );
  const tokens = await createTestTokens();
  let now = new Date();
  const built = await buildApp({
    db: infra.db,
    redis: infra.redis,
    logger: testLogger(),
    readiness: infra.readiness,
    jwks: tokens.jwks,
    clock: () => now,
    settings: {
      ...defaultSettings,
      eventServiceUrl: 'http://127.0.0.1:9',
      rateLimit: {
        perVisitor: options.rateLimit ?? 1000,
        perIp: (options.rateLimit ?? 1000) * 5,
        windowMs: 60_000,
      },
    },
  });
  return {
    ...built,
    infra,
    config,
    tokens,
    setNow(at: string | Date) {
      now = new Date(at);
    },
    async close() {
      await built.buffer.stop();
      await built.app.close();
      await infra.cleanup();
    },
  };
}

/** An on-sale event of `artistId` in analytics' projection, as `event.published` would leave it. */
export async function projectEvent(db: Kysely<DB>, eventId: string, artistId: string): Promise<void> {
  await eventProjectionRepository(db).upsert({
    eventId,
    artistId,
    title: 'Projected concert',
    status: 'on_sale',
    saleOpensAt: new Date('2026-01-01T00:00:00Z'),
    saleClosesAt: new Date('2027-01-01T00:00:00Z'),
    sourceTime: new Date('2026-01-01T00:00:00Z'),
  });
}
