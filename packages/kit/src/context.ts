import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

/**
 * Per-request (or per-message) context: the request id and the W3C trace context. It flows through
 * async calls so that logs, outgoing HTTP calls and published events carry the same ids.
 */
export type RequestContext = { requestId: string; traceId: string; spanId: string; sampled: boolean };

const storage = new AsyncLocalStorage<RequestContext>();

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function parseTraceparent(
  value: string | undefined,
): { traceId: string; parentSpanId: string; sampled: boolean } | undefined {
  const match = value ? TRACEPARENT.exec(value.trim()) : null;
  if (!match) return undefined;
  const [, traceId, parentSpanId, flags] = match as unknown as [string, string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(parentSpanId)) return undefined;
  return { traceId, parentSpanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

/** A context continuing the caller's trace when it sent one, starting a new trace otherwise. */
export function newContext(requestId: string, traceparent?: string): RequestContext {
  const parent = parseTraceparent(traceparent);
  return {
    requestId,
    traceId: parent?.traceId ?? randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    sampled: parent?.sampled ?? true,
  };
}

export function formatTraceparent(ctx: RequestContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.sampled ? '01' : '00'}`;
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

export function runInContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** Binds the rest of the current async flow to ctx (used from a request hook). */
export function enterContext(ctx: RequestContext): void {
  storage.enterWith(ctx);
}

/** Headers that carry the current context to another service. */
export function propagationHeaders(): Record<string, string> {
  const ctx = currentContext();
  if (!ctx) return {};
  return { 'x-request-id': ctx.requestId, traceparent: formatTraceparent(ctx) };
}
