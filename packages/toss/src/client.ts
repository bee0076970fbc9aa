import {
  type Attempt,
  DEFAULT_RETRY,
  endSpan,
  RETRYABLE_STATUS,
  startClientSpan,
  withRetries,
} from '@tiketi/kit';
import { TossError, TossUnavailableError } from './errors.ts';
import {
  type CancelPaymentRequest,
  type ConfirmPaymentRequest,
  type CreatePaymentRequest,
  cancelPaymentRequest,
  confirmPaymentRequest,
  createPaymentRequest,
  type TossPayment,
  tossErrorBody,
  tossPayment,
} from './schemas.ts';

export type TossClientOptions = {
  secretKey: string;
  /** https://api.tosspayments.com, or the local sandbox. */
  baseUrl?: string;
  timeoutMs?: number;
  /** Extra attempts after a timeout, a cut connection or a 502/503/504 (safe: the Idempotency-Key is kept). */
  retries?: number;
};

/** Every call that changes money carries one: Toss answers a repeat with the first answer (15 days). */
export type Mutation = { idempotencyKey: string };

/** What a span names a call by: the client's method, never the payment it concerns. */
type Operation = 'createPayment' | 'confirm' | 'cancel' | 'getPayment' | 'getPaymentByOrderId';

const MAX_IDEMPOTENCY_KEY = 300;

/** Basic auth as Toss wants it: the secret key as user name, no password. */
export function tossAuthorization(secretKey: string): string {
  return `Basic ${Buffer.from(`${secretKey}:`).toString('base64')}`;
}

/**
 * A thin typed client for the Toss Payments core API: create (checkout URL), confirm, cancel in full or
 * in part, and lookups. Answers are validated; Toss's refusals become `TossError` with its code, and no
 * answer at all becomes `TossUnavailableError`.
 *
 * Every attempt is a client span under the caller's span, as the kit's service client makes them, with the
 * operation, the path template and the answer's status. The URL itself stays out (its path holds the
 * paymentKey), and so do bodies and the authorization header.
 */
export function createTossClient(options: TossClientOptions) {
  const baseUrl = options.baseUrl ?? 'https://api.tosspayments.com';
  const timeoutMs = options.timeoutMs ?? 10_000;
  // The platform's one retry policy; the Idempotency-Key makes a retried change safe.
  const policy = { ...DEFAULT_RETRY, retries: options.retries ?? DEFAULT_RETRY.retries };
  const authorization = tossAuthorization(options.secretKey);

  const host = new URL(baseUrl).host;

  async function call(
    operation: Operation,
    method: 'GET' | 'POST',
    path: { template: string; value: string },
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<TossPayment> {
    if (idempotencyKey !== undefined && (!idempotencyKey || idempotencyKey.length > MAX_IDEMPOTENCY_KEY)) {
      throw new RangeError(`Idempotency-Key must be 1–${MAX_IDEMPOTENCY_KEY} characters`);
    }
    const url = new URL(path.value, baseUrl);
    return withRetries(
      policy,
      async (attempt, last): Promise<Attempt<TossPayment>> => {
        const span = startClientSpan(`${method} Toss ${operation}`, {
          'http.request.method': method,
          'server.address': host,
          'url.template': path.template,
          'tiketi.toss.operation': operation,
          'tiketi.attempt': attempt,
        });
        let res: Response;
        try {
          res = await fetch(url, {
            method,
            // No trace or request-id headers: those are for our own services, not for an outside provider.
            headers: {
              authorization,
              accept: 'application/json',
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
              ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
            },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(timeoutMs),
          });
        } catch (error) {
          endSpan(span, error);
          return { retry: error };
        }
        span.setAttribute('http.response.status_code', res.status);
        if (RETRYABLE_STATUS.has(res.status) && !last) {
          await res.body?.cancel();
          const error = new Error(`Toss answered ${res.status}`);
          endSpan(span, error);
          return { retry: error };
        }
        try {
          const payment = await readAnswer(res, `${method} ${path.template}`);
          span.setAttribute('tiketi.toss.payment_status', payment.status);
          endSpan(span);
          return { answer: payment };
        } catch (error) {
          if (error instanceof TossError) span.setAttribute('tiketi.toss.error_code', error.code);
          // As for our own services, a refusal (4xx) is an answer; only a broken one marks the span failed.
          endSpan(span, error instanceof TossError && res.status < 500 ? undefined : error);
          throw error;
        }
      },
      (lastError) =>
        new TossUnavailableError(`Toss did not answer ${method} ${path.template}`, { cause: lastError }),
    );
  }

  const enc = encodeURIComponent;

  return {
    /** Opens a checkout for an order: the answer's `checkout.url` is where the customer pays. */
    createPayment(input: CreatePaymentRequest, m: Mutation): Promise<TossPayment> {
      return call(
        'createPayment',
        'POST',
        { template: '/v1/payments', value: '/v1/payments' },
        createPaymentRequest.parse(input),
        m.idempotencyKey,
      );
    },
    /** Approves an authenticated payment; must happen within 10 minutes of the customer's authentication. */
    confirm(input: ConfirmPaymentRequest, m: Mutation): Promise<TossPayment> {
      return call(
        'confirm',
        'POST',
        { template: '/v1/payments/confirm', value: '/v1/payments/confirm' },
        confirmPaymentRequest.parse(input),
        m.idempotencyKey,
      );
    },
    /** Cancels everything left, or `cancelAmount` of it (partial refund). */
    cancel(paymentKey: string, input: CancelPaymentRequest, m: Mutation): Promise<TossPayment> {
      return call(
        'cancel',
        'POST',
        { template: '/v1/payments/{paymentKey}/cancel', value: `/v1/payments/${enc(paymentKey)}/cancel` },
        cancelPaymentRequest.parse(input),
        m.idempotencyKey,
      );
    },
    getPayment(paymentKey: string): Promise<TossPayment> {
      return call('getPayment', 'GET', {
        template: '/v1/payments/{paymentKey}',
        value: `/v1/payments/${enc(paymentKey)}`,
      });
    },
    getPaymentByOrderId(orderId: string): Promise<TossPayment> {
      return call('getPaymentByOrderId', 'GET', {
        template: '/v1/payments/orders/{orderId}',
        value: `/v1/payments/orders/${enc(orderId)}`,
      });
    },
  };
}

export type TossClient = ReturnType<typeof createTossClient>;

/** Toss's answer as a payment; a refusal as `TossError`, anything unreadable as `TossUnavailableError`. */
async function readAnswer(res: Response, request: string): Promise<TossPayment> {
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const error = tossErrorBody.safeParse(json);
    if (error.success) throw new TossError(res.status, error.data.code, error.data.message);
    throw new TossUnavailableError(`Toss answered ${res.status} without an error body`);
  }
  const parsed = tossPayment.safeParse(json);
  if (!parsed.success) {
    throw new TossUnavailableError(`Toss answered ${request} in an unexpected shape`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}
