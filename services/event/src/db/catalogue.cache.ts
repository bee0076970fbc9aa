import type { Logger, Redis } from '@tiketi/kit';

const GENERATION = 'catalogue:gen';

/**
 * Read-through cache for catalogue reads. Every key carries the catalogue generation and every change
 * bumps it, so one increment invalidates all details and listings at once (an artist rename shows in every
 * event that names it) and a reader that loaded stale rows before the bump can only fill a dead key.
 * Redis failing makes reads go to PostgreSQL, never fail.
 */
export function catalogueCache(redis: Redis | undefined, logger: Logger, ttlSeconds = 60) {
  return {
    async read<T>(key: string, load: () => Promise<T>, ttl = ttlSeconds): Promise<T> {
      if (!redis) return load();
      let slot: string | undefined;
      try {
        const generation = (await redis.get(GENERATION)) ?? '0';
        slot = `catalogue:${generation}:${key}`;
        const hit = await redis.get(slot);
        if (hit !== null) return JSON.parse(hit) as T;
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'catalogue cache read failed; reading the database');
      }
      const value = await load();
      if (slot && value !== undefined) {
        await redis.set(slot, JSON.stringify(value), 'EX', ttl).catch((error: Error) => {
          logger.warn({ err: error.message }, 'catalogue cache write failed');
        });
      }
      return value;
    },

    /** Called after every committed change. */
    async invalidate(): Promise<void> {
      if (!redis) return;
      await redis.incr(GENERATION).catch((error: Error) => {
        logger.error({ err: error.message }, 'catalogue cache invalidation failed; entries expire by TTL');
      });
    },
  };
}

export type CatalogueCache = ReturnType<typeof catalogueCache>;
