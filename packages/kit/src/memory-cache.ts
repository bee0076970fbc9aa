import { LRUCache } from 'lru-cache';

export type CacheLimits = {
  /** Most entries kept; when full, the least recently used goes first. 0 keeps nothing. */
  max: number;
  /** Longest an entry is kept (`set` may give one a shorter life). 0 keeps nothing. */
  ttlMs: number;
  /** Most bytes kept in all, counted by `sizeOf`, for entries that differ much in size. */
  maxBytes?: number;
};

/**
 * The size and lifetime of every in-memory cache of the platform, side by side: a copy kept in one
 * instance's memory is a copy the others do not see, so each lives briefly and is bounded. A service may
 * lower or raise one from its config; nothing else decides how long a copy lives.
 */
export const CACHE_LIMITS = {
  /**
   * Access tokens whose signature a service already checked (kit auth): in a ticket drop a fan sends the
   * same token with every request, and the check is most of what a request costs. A minute at most, so a
   * key withdrawn from the JWKS soon counts; never past the token's own expiry.
   */
  verifiedTokens: { max: 10_000, ttlMs: 60_000 },
  /**
   * "This session has not ended" answers (kit revocations): a drop costs Redis one lookup per session per
   * instance per lifetime, and a sign-out reaches every instance within it.
   */
  liveSessions: { max: 50_000, ttlMs: 2_000 },
  /** Sessions known to have ended: kept as long as an access token lives, then Redis is asked again. */
  endedSessions: { max: 50_000, ttlMs: 900_000 },
  /** An event's sale settings (reservation): spares the hold path a query per hold during a drop. */
  saleInfo: { max: 10_000, ttlMs: 1_000 },
  /**
   * Whether an event exists and whose it is (analytics): a burst of page views costs no query each, and an
   * id no event has does not send each view to the event service.
   */
  eventDirectory: { max: 10_000, ttlMs: 60_000 },
  /**
   * Shareable upstream answers (gateway): each for the upstream's own max-age, never longer than this (an
   * image marked immutable for a year is still dropped some day).
   */
  gatewayResponses: { max: 1_000, ttlMs: 60_000, maxBytes: 33_554_432 },
  /**
   * Seat layouts of events, serialised and compressed (reservation): kept per layout version, which never
   * changes, so only memory bounds them.
   */
  seatLayouts: { max: 200, ttlMs: 600_000, maxBytes: 67_108_864 },
  /**
   * Seat availability answers (reservation): each is checked against the seat cache's generation before
   * it is used (one small Redis read), so the lifetime only frees memory of events nobody looks at.
   */
  seatAvailability: { max: 2_000, ttlMs: 60_000, maxBytes: 67_108_864 },
  /**
   * Whole seat maps, serialised (reservation): about 200 bytes a seat, so a few large events fill the
   * budget; checked against the seat cache's generation like the availability.
   */
  seatMaps: { max: 100, ttlMs: 60_000, maxBytes: 67_108_864 },
  /**
   * Ticket PDFs drawn (reservation), by what they print: a holder asking again, or a script asking over and
   * over, costs no drawing (a tenth of a second of CPU each) while nothing printed has changed.
   */
  ticketPdfs: { max: 2_000, ttlMs: 600_000, maxBytes: 33_554_432 },
} as const satisfies Record<string, CacheLimits>;

/** A bounded in-memory cache with a lifetime per entry; the one kind the platform keeps. */
export type MemoryCache<V> = {
  get(key: string): V | undefined;
  /** Keeps `value` for `ttlMs` (never longer than the cache's lifetime); a value over the byte budget is not kept. */
  set(key: string, value: V, ttlMs?: number): void;
  delete(key: string): void;
  readonly size: number;
  /** Bytes kept, as `sizeOf` counts them (0 without it). */
  readonly bytes: number;
};

/**
 * Least recently used first out, every entry with a lifetime; `lru-cache` underneath. `now` replaces the
 * clock in tests.
 */
export function memoryCache<V extends {}>(
  limits: CacheLimits & { sizeOf?: (value: V) => number; now?: () => number },
): MemoryCache<V> {
  if (limits.max <= 0 || limits.ttlMs <= 0) {
    return { get: () => undefined, set: () => undefined, delete: () => undefined, size: 0, bytes: 0 };
  }
  const { sizeOf, now } = limits;
  const cache = new LRUCache<string, V>({
    max: limits.max,
    ttl: limits.ttlMs,
    ...(limits.maxBytes && sizeOf
      ? { maxSize: limits.maxBytes, sizeCalculation: (value: V) => Math.max(1, sizeOf(value)) }
      : {}),
    // A clock given by a test moves without timers: read it on every look-up.
    ...(now ? { perf: { now }, ttlResolution: 0 } : {}),
  });
  return {
    get: (key) => cache.get(key),
    set(key, value, ttlMs = limits.ttlMs) {
      const ttl = Math.min(Math.floor(ttlMs), limits.ttlMs);
      if (ttl > 0) cache.set(key, value, { ttl });
      else cache.delete(key);
    },
    delete: (key) => void cache.delete(key),
    get size() {
      return cache.size;
    },
    get bytes() {
      return cache.calculatedSize;
    },
  };
}

/**
 * Work under way, one run per key: callers asking for a key while its work runs share that run. `keep` sees
 * the run's value before its callers do, unless the key was forgotten meanwhile: a run that began before a
 * change (`forget`) is neither shared with the callers after it nor kept.
 */
export function sharedRuns<V>() {
  const running = new Map<string, Promise<V>>();
  return {
    run(key: string, work: () => Promise<V>, keep?: (value: V) => void): Promise<V> {
      const pending = running.get(key);
      if (pending) return pending;
      const run: Promise<V> = work().then((value) => {
        if (running.get(key) === run) keep?.(value);
        return value;
      });
      running.set(key, run);
      const done = () => {
        if (running.get(key) === run) running.delete(key);
      };
      run.then(done, done);
      return run;
    },
    forget(key: string) {
      running.delete(key);
    },
  };
}

/**
 * `cache` in front of `produce`: a value kept is handed out, and one missing is produced once however many
 * callers ask for it meanwhile, then kept.
 */
export function producedOnce<V extends {}>(cache: MemoryCache<V>) {
  const runs = sharedRuns<V>();
  return (key: string, produce: () => Promise<V>): Promise<V> => {
    const kept = cache.get(key);
    if (kept !== undefined) return Promise.resolve(kept);
    return runs.run(key, produce, (value) => cache.set(key, value));
  };
}
