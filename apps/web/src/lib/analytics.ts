import type { TrackEventType, TrackRequest } from '@tiketi/contracts';
import { api } from './api.ts';

const VISITOR_KEY = 'tiketi.visitor';

/** An anonymous, random visitor id, so unique visitors can be counted without an account. */
function visitorId(): string {
  let id = localStorage.getItem(VISITOR_KEY);
  if (!id) {
    id = crypto.randomUUID();
    localStorage.setItem(VISITOR_KEY, id);
  }
  return id;
}

/** Reports a page view or funnel step; tracking never gets in the fan's way, so failures are dropped. */
export function track(type: TrackEventType, fields: Omit<TrackRequest, 'type' | 'id' | 'sessionId'> = {}) {
  const body: TrackRequest = {
    type,
    id: crypto.randomUUID(),
    sessionId: visitorId(),
    path: location.pathname,
    ...(document.referrer ? { referrer: document.referrer.slice(0, 512) } : {}),
    ...fields,
  };
  api('/api/analytics/track', { body }).catch(() => undefined);
}
