import { AsyncLocalStorage } from 'node:async_hooks';
import { type Attributes, type Span, SpanKind, startSpan, traceparentOf } from './tracing.ts';

/**
 * Per-request (or per-message) context: the request id and the span being worked under. It flows through
 * async calls so that logs, outgoing HTTP calls and published events carry the same ids.
 */
export type RequestContext = { requestId: string; span: Span };

const storage = new AsyncLocalStorage<RequestContext>();

/** A context whose span continues the caller's trace when it sent one, starting a new trace otherwise. */
export function newContext(
  requestId: string,
  traceparent?: string,
  options: { name?: string; kind?: SpanKind; attributes?: Attributes } = {},
): RequestContext {
  const span = startSpan(options.name ?? 'request', {
    kind: options.kind ?? SpanKind.SERVER,
    traceparent,
    attributes: options.attributes,
  });
  return { requestId, span };
}

export function traceIds(ctx: RequestContext): { traceId: string; spanId: string } {
  const { traceId, spanId } = ctx.span.spanContext();
  return { traceId, spanId };
}

export function formatTraceparent(ctx: RequestContext): string | undefined {
  return traceparentOf(ctx.span);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/** A span for a call this process makes, under the span being worked under (a new trace outside any). */
export function startClientSpan(name: string, attributes: Attributes): Span {
  const parent = currentContext()?.span;
  return startSpan(name, { kind: SpanKind.CLIENT, ...(parent ? { parent } : {}), attributes });
}

export function runInContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** Binds the rest of the current async flow to ctx (used from a request hook). */
export function enterContext(ctx: RequestContext): void {
  storage.enterWith(ctx);
}

/** Headers that carry the current request id and trace context to another service. */
export function propagationHeaders(span?: Span): Record<string, string> {
  const ctx = currentContext();
  const headers: Record<string, string> = {};
  if (ctx) headers['x-request-id'] = ctx.requestId;
  const traceparent = span ? traceparentOf(span) : ctx ? formatTraceparent(ctx) : undefined;
  if (traceparent) headers.traceparent = traceparent;
  return headers;
}
