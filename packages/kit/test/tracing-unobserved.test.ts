import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { addSpanProcessor, endSpan, SpanKind, startSpan, traceparentOf } from '../src/tracing.ts';

// Its own file: the span processors are process-wide, and this needs a process without any at first.
describe('spans nobody reads', () => {
  it('are not recorded, yet carry trace context on; once a processor is attached they are recorded', () => {
    const unread = startSpan('GET /api/events', { kind: SpanKind.SERVER });
    expect(unread.isRecording()).toBe(false);
    const traceparent = traceparentOf(unread);
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    const child = startSpan('publish', { kind: SpanKind.PRODUCER, traceparent });
    expect(child.spanContext().traceId).toBe(unread.spanContext().traceId);
    endSpan(child);
    endSpan(unread);

    const exporter = new InMemorySpanExporter();
    addSpanProcessor(new SimpleSpanProcessor({ exporter }));
    const read = startSpan('GET /api/events', { kind: SpanKind.SERVER });
    expect(read.isRecording()).toBe(true);
    endSpan(read);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['GET /api/events']);
  });
});
