import { CACHE_LIMITS, type ContentCoding, memoryCache } from '@tiketi/kit';

/**
 * A small shared cache for upstream answers that say they may be shared (`Cache-Control: public` with
 * `s-maxage` or `max-age`): at the drop, thousands of fans reload the same event page every second, and a
 * second-old copy served by the gateway spares the catalogue service, Redis and a network hop. Entries live
 * for the upstream's own max-age, never longer than `CACHE_LIMITS.gatewayResponses` says, and the
 * oldest-used entry goes first when the cache is full.
 */

export type CachedResponse = {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  storedAt: number;
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
export const KEPT_HEADERS = [
  'content-type',
  'content-encoding',
  'cache-control',
  'etag',
  'last-modified',
  'vary',
] as const;

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
/**
 * One copy per content coding as well: the copy kept for a caller that accepts br may be brotli, and must
 * never reach a caller that did not ask for it (the kit's `pickEncoding` picks the coding of each request).
 */
const keyOf = (url: string, coding: ContentCoding) => `${coding} ${sameIds(url)}`;
const sameIds = (url: string) => url.replace(ANY_UUID, (id) => id.toLowerCase());

export function responseCache(options: ResponseCacheOptions) {
  const now = options.now ?? Date.now;
  const entries = memoryCache<CachedResponse>({
    max: options.maxEntries,
    ttlMs: CACHE_LIMITS.gatewayResponses.ttlMs,
    maxBytes: options.maxBytes,
    sizeOf: (entry) => entry.body.length,
    now: options.now,
  });
  // Addresses whose last answer could not be kept (not public, or larger than a copy may be).
  const unkept = memoryCache<true>({
    max: options.maxEntries,
    ttlMs: CACHE_LIMITS.gatewayResponses.ttlMs,
    now: options.now,
  });
  return {
    enabled: options.maxEntries > 0,
    maxBodyBytes: options.maxBodyBytes,

    get(url: string, coding: ContentCoding): CachedResponse | undefined {
      return entries.get(keyOf(url, coding));
    },

    /** Keeps an answer for callers whose Accept-Encoding picks `coding`: only one they can all read. */
    set(
      url: string,
      coding: ContentCoding,
      entry: Omit<CachedResponse, 'storedAt'>,
      maxAgeSeconds: number,
    ): void {
      if (entry.body.length > options.maxBodyBytes) return;
      const answered = entry.headers['content-encoding'] ?? 'identity';
      if (answered !== 'identity' && answered !== coding) return;
      entries.set(keyOf(url, coding), { ...entry, storedAt: now() }, maxAgeSeconds * 1000);
    },

    /**
     * Whether a caller's revalidation (If-None-Match) goes to the service as it was sent. Otherwise the
     * service is asked for the whole answer, to keep: a 304 has no body to make a copy of, so callers that
     * all hold the last version would otherwise pass every poll on to the service once the copy lapsed.
     * Only an address whose last answer could not be kept is revalidated at the service.
     */
    revalidatesUpstream(url: string): boolean {
      return unkept.get(sameIds(url)) === true;
    },

    /** The answer for this address could not be kept: its next revalidations go to the service. */
    notKept(url: string): void {
      unkept.set(sameIds(url), true);
    },

    /** Age in whole seconds, for the `Age` header of a copy. */
    ageOf(entry: CachedResponse): number {
      return Math.max(0, Math.floor((now() - entry.storedAt) / 1000));
    },

    get size() {
      return entries.size;
    },

    get bytes() {
      return entries.bytes;
    },
  };
}

export type ResponseCache = ReturnType<typeof responseCache>;
