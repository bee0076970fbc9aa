import {
  type Attributes,
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
  type Span as SdkSpan,
  type SpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export { type Attributes, type Span, SpanKind, SpanStatusCode };

/**
 * Spans for every HTTP request served, every service-to-service call, every event published and every
 * event consumed, linked by W3C trace context across HTTP headers and RabbitMQ messages. Exported over
 * OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set (Jaeger and the OpenTelemetry Collector accept it); tests
 * attach an in-memory exporter with `addSpanProcessor`.
 */
class FanOut implements SpanProcessor {
  readonly processors: SpanProcessor[] = [];
  onStart(span: SdkSpan, parent: Context): void {
    for (const p of this.processors) p.onStart(span, parent);
  }
  onEnd(span: ReadableSpan): void {
    for (const p of this.processors) p.onEnd(span);
  }
  async forceFlush(): Promise<void> {
    await Promise.all(this.processors.map((p) => p.forceFlush()));
  }
  async shutdown(): Promise<void> {
    await Promise.all(this.processors.map((p) => p.shutdown()));
  }
}

/**
 * Starts recording a trace only while something reads spans (the OTLP exporter, a test's processor); a
 * trace whose caller recorded it is recorded on, one whose caller did not is not (ParentBasedSampler).
 * An unrecorded span still gets its trace and span ids, so trace context still flows across HTTP and
 * RabbitMQ and into the logs, but its attributes, events and timing are never built.
 */
class WhileObserved implements Sampler {
  private readonly observers: FanOut;
  constructor(observers: FanOut) {
    this.observers = observers;
  }
  shouldSample(): SamplingResult {
    return {
      decision:
        this.observers.processors.length > 0
          ? SamplingDecision.RECORD_AND_SAMPLED
          : SamplingDecision.NOT_RECORD,
    };
  }
  toString(): string {
    return 'WhileObserved';
  }
}

const propagator = new W3CTraceContextPropagator();
let fanOut: FanOut | undefined;
let provider: TracerProvider | undefined;

function setup(): FanOut {
  if (fanOut) return fanOut;
  fanOut = new FanOut();
  const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint) fanOut.processors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter() }));
  provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: process.env.OTEL_SERVICE_NAME ?? 'tiketi' }),
    spanProcessors: [fanOut],
    sampler: new ParentBasedSampler({ root: new WhileObserved(fanOut) }),
  });
  trace.setGlobalTracerProvider(provider);
  return fanOut;
}

export function tracer(): Tracer {
  setup();
  return trace.getTracer('tiketi');
}

/** Adds a span processor (tests: a SimpleSpanProcessor over an InMemorySpanExporter). */
export function addSpanProcessor(processor: SpanProcessor): void {
  setup().processors.push(processor);
}

export async function flushSpans(): Promise<void> {
  await provider?.forceFlush();
}

export async function shutdownTracing(): Promise<void> {
  await provider?.shutdown();
}

/** Starts a span continuing the trace in `traceparent` (W3C), or a new trace without one. */
export function startSpan(
  name: string,
  options: { kind: SpanKind; traceparent?: string | undefined; parent?: Span; attributes?: Attributes },
): Span {
  let parentContext: Context = ROOT_CONTEXT;
  if (options.parent) parentContext = trace.setSpan(ROOT_CONTEXT, options.parent);
  else if (options.traceparent) {
    parentContext = propagator.extract(
      ROOT_CONTEXT,
      { traceparent: options.traceparent },
      defaultTextMapGetter,
    );
  }
  return tracer().startSpan(name, { kind: options.kind, attributes: options.attributes }, parentContext);
}

/** The W3C traceparent header value naming this span as the parent. */
export function traceparentOf(span: Span): string | undefined {
  const carrier: Record<string, string> = {};
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
  return carrier.traceparent;
}

export function endSpan(span: Span, error?: unknown): void {
  if (error) {
    span.recordException(error instanceof Error ? error : new Error(String(error)));
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
  }
  span.end();
}
