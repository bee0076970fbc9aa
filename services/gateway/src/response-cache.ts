/**
 * A small shared cache for upstream answers that say they may be shared (`Cache-Control: public` with
 * `s-maxage` or `max-age`): at the drop, thousands of fans reload the same event page every second, and a
 * second-old copy served by the gateway spares the catalogue service, Redis and a network hop. Entries live
 * for the upstream's own max-age, never longer than MAX_COPY_SECONDS (an image marked immutable for a year
 * is still deleted some day), and the oldest-used entry goes first when the cache is full.
 */
const MAX_COPY_SECONDS = 60;

export type CachedResponse = {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  storedAt: number;
  expiresAt: number;
};

export type ResponseCacheOptions = {
  /** Most entries kept; 0 turns the cache off. */
  maxEntries: number;
  /** Most bytes of bodies kept in all. */
  maxBytes: number;
  /** Larger bodies are passed through and never kept. */
  maxBodyBytes: number;
  now?: () => number;
};

/** Headers of the upstream's answer that a copy must carry (the gateway sets its own request id and CORS). */
export const KEPT_HEADERS = ['content-type', 'cache-control', 'etag', 'last-modified', 'vary'] as const;

/**
 * Seconds a shared cache may keep the answer, from its Cache-Control; undefined when it must not
 * (not public, private, no-store, no-cache, or no positive age).
 */
export function sharedMaxAge(cacheControl: string | string[] | undefined): number | undefined {
  if (typeof cacheControl !== 'string') return undefined;
  const directives = new Map<string, string | undefined>();
  for (const part of cacheControl.toLowerCase().split(',')) {
    const [name, value] = part.trim().split('=');
    if (name) directives.set(name, value?.replace(/"/g, ''));
  }
  if (!directives.has('public')) return undefined;
  if (directives.has('private') || directives.has('no-store') || directives.has('no-cache')) return undefined;
  const age = Number(directives.get('s-maxage') ?? directives.get('max-age'));
  return Number.isInteger(age) && age > 0 ? age : undefined;
}

const ANY_UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * The services answer every spelling of an id as the same id, so one copy serves them all: an attacker
 * cannot push the copies the drop relies on out of the cache by asking for one event in many spellings.
 */
const keyOf = (url: string) => url.replace(ANY_UUID, (id) => id.toLowerCase());

export function responseCache(options: ResponseCacheOptions) {
  const now = options.now ?? Date.now;
  // A Map iterates in insertion order: re-inserting on every hit keeps the least recently used first.
  const entries = new Map<string, CachedResponse>();
  let bytes = 0;
  const remove = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    entries.delete(key);
    bytes -= entry.body.length;
    return entry;
  };
  return {
    enabled: options.maxEntries > 0,
    maxBodyBytes: options.maxBodyBytes,

    get(url: string): CachedResponse | undefined {
      const key = keyOf(url);
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expiresAt <= now()) {
        remove(key);
        return undefined;
      }
      entries.delete(key);
      entries.set(key, entry);
      return entry;
    },

    set(url: string, entry: Omit<CachedResponse, 'storedAt' | 'expiresAt'>, maxAgeSeconds: number): void {
      if (options.maxEntries <= 0 || entry.body.length > options.maxBodyBytes) return;
      const key = keyOf(url);
      const storedAt = now();
      remove(key);
      const seconds = Math.min(maxAgeSeconds, MAX_COPY_SECONDS);
      entries.set(key, { ...entry, storedAt, expiresAt: storedAt + seconds * 1000 });
      bytes += entry.body.length;
      while (entries.size > options.maxEntries || bytes > options.maxBytes) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        remove(oldest);
      }
    },

    /** Age in whole seconds, for the `Age` header of a copy. */
    ageOf(entry: CachedResponse): number {
      return Math.max(0, Math.floor((now() - entry.storedAt) / 1000));
    },

    get size() {
      return entries.size;
    },

    get bytes() {
      return bytes;
    },
  };
}

export type ResponseCache = ReturnType<typeof responseCache>;
