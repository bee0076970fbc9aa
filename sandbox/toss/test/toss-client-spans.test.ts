import { randomUUID } from 'node:crypto';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { addSpanProcessor, newContext, runInContext, SpanKind, SpanStatusCode } from '@tiketi/kit';
import { createTossClient, TossError } from '@tiketi/toss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTossSandbox, type TossSandbox } from '../src/index.ts';

const SECRET = 'test_sk_toss_span_suite';

describe('Toss client spans', () => {
  const exporter = new InMemorySpanExporter();
  addSpanProcessor(new SimpleSpanProcessor({ exporter }));
  let sandbox: TossSandbox;
  let toss: ReturnType<typeof createTossClient>;
  beforeAll(async () => {
    sandbox = await startTossSandbox({ port: 0 });
    toss = createTossClient({ secretKey: SECRET, baseUrl: sandbox.url, timeoutMs: 2000, retries: 1 });
  });
  afterAll(() => sandbox.close());

  /** Runs `work` as a request would, and returns the request's span with the Toss spans under it. */
  async function traced(work: () => Promise<unknown>) {
    const ctx = newContext(randomUUID(), undefined, { name: 'POST /checkout', kind: SpanKind.SERVER });
    await runInContext(ctx, work).catch((error: unknown) => {
      if (!(error instanceof TossError)) throw error;
    });
    ctx.span.end();
    const parent = ctx.span.spanContext();
    return exporter
      .getFinishedSpans()
      .filter(
        (s) => s.spanContext().traceId === parent.traceId && s.parentSpanContext?.spanId === parent.spanId,
      );
  }

  async function openAuthorized() {
    const payment = await toss.createPayment(
      {
        amount: 33_000,
        orderId: `order-${randomUUID()}`,
        orderName: 'Span Night, 1 seat',
        successUrl: 'http://localhost:3000/payment/success',
        failUrl: 'http://localhost:3000/payment/fail',
        customerEmail: 'fan@example.com',
      },
      { idempotencyKey: randomUUID() },
    );
    sandbox.authorize(payment.paymentKey);
    return payment;
  }

  it('makes each call a client span under the caller, named by operation, with the answer status', async () => {
    const payment = await openAuthorized();
    const spans = await traced(async () => {
      await toss.confirm(
        { paymentKey: payment.paymentKey, orderId: payment.orderId, amount: 33_000 },
        { idempotencyKey: randomUUID() },
      );
      await toss.getPayment(payment.paymentKey);
      await toss.cancel(
        payment.paymentKey,
        { cancelReason: 'changed plans' },
        { idempotencyKey: randomUUID() },
      );
    });
    expect(spans.map((s) => s.name)).toEqual([
      'POST Toss confirm',
      'GET Toss getPayment',
      'POST Toss cancel',
    ]);
    for (const span of spans) expect(span.kind).toBe(SpanKind.CLIENT);
    expect(spans[0]?.attributes).toMatchObject({
      'tiketi.toss.operation': 'confirm',
      'http.request.method': 'POST',
      'http.response.status_code': 200,
      'tiketi.toss.payment_status': 'DONE',
      'url.template': '/v1/payments/confirm',
    });
    expect(spans[2]?.attributes).toMatchObject({
      'url.template': '/v1/payments/{paymentKey}/cancel',
      'tiketi.toss.payment_status': 'CANCELED',
    });

    // Nothing that pays or authenticates may end up in a trace store.
    const values = spans.flatMap((s) => Object.values(s.attributes).map(String)).join('\n');
    const basic = Buffer.from(`${SECRET}:`).toString('base64');
    for (const secret of [SECRET, basic, payment.paymentKey, '4330', '****']) {
      expect(values).not.toContain(secret);
    }
  });

  it('records a refusal with its Toss code and a failed attempt before a retry as its own span', async () => {
    const payment = await openAuthorized();
    const refused = await traced(() =>
      toss.confirm(
        { paymentKey: payment.paymentKey, orderId: payment.orderId, amount: 1 },
        { idempotencyKey: randomUUID() },
      ),
    );
    expect(refused).toHaveLength(1);
    expect(refused[0]?.attributes['http.response.status_code']).toBeGreaterThanOrEqual(400);
    expect(refused[0]?.attributes['tiketi.toss.error_code']).toEqual(expect.any(String));
    expect(refused[0]?.attributes['tiketi.toss.payment_status']).toBeUndefined();

    sandbox.injectFault({ operation: 'get', mode: 'error', status: 503, code: 'PROVIDER_ERROR' });
    const retried = await traced(() => toss.getPayment(payment.paymentKey));
    expect(
      retried.map((s) => [s.attributes['tiketi.attempt'], s.attributes['http.response.status_code']]),
    ).toEqual([
      [1, 503],
      [2, 200],
    ]);
    expect(retried[0]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(retried[1]?.status.code).not.toBe(SpanStatusCode.ERROR);
  });
});
