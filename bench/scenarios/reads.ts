import type { JsonClient } from '../lib/http.ts';
import { closedLoop, type LoadResult } from '../lib/load.ts';

/** The demo's on-sale event with the waiting room (seeded by the event service). */
export const DEMO_EVENT_ID = '01936b2a-0000-7000-8000-000000000001';

/**
 * Scenario 1: anonymous catalogue reads through the gateway, answered from the event service's Redis
 * cache (warmed by the first request): the listing's first page and one event's detail.
 */
export async function cachedReads(
  api: JsonClient,
  options: { concurrency: number; durationMs: number },
): Promise<{ list: LoadResult; detail: LoadResult }> {
  for (const path of ['/api/events', `/api/events/${DEMO_EVENT_ID}`]) {
    const status = await api.status(path);
    if (status !== 200) throw new Error(`GET ${path} answered ${status}`);
  }
  await closedLoop({
    concurrency: options.concurrency,
    durationMs: 1000,
    once: () => api.status('/api/events'),
  });
  const list = await closedLoop({ ...options, once: () => api.status('/api/events') });
  const detail = await closedLoop({ ...options, once: () => api.status(`/api/events/${DEMO_EVENT_ID}`) });
  return { list, detail };
}
