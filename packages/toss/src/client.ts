import type { z } from 'zod';
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

const RETRYABLE_STATUS = new Set([502, 503, 504]);
const MAX_IDEMPOTENCY_KEY = 300;

/** Basic auth as Toss wants it: the secret key as user name, no password. */
export function tossAuthorization(secretKey: string): string {
  return `Basic ${Buffer.from(`${secretKey}:`).toString('base64')}`;
}

/**
 * A thin typed client for the Toss Payments core API: create (checkout URL), confirm, cancel in full or
 * in part, and lookups. Answers are validated; Toss's refusals become `TossError` with its code, and no
 * answer at all becomes `TossUnavailableError`.
 */
export function createTossClient(options: TossClientOptions) {
  const baseUrl = options.baseUrl ?? 'https://api.tosspayments.com';
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retries = options.retries ?? 2;
  const authorization = tossAuthorization(options.secretKey);

  async function call<T extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    schema: T,
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<z.output<T>> {
    if (idempotencyKey !== undefined && (!idempotencyKey || idempotencyKey.length > MAX_IDEMPOTENCY_KEY)) {
      throw new RangeError(`Idempotency-Key must be 1–${MAX_IDEMPOTENCY_KEY} characters`);
    }
    const url = new URL(path, baseUrl);
    let lastError: unknown;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 100 * 2 ** (attempt - 1)));
      let res: Response;
      try {
        res = await fetch(url, {
          method,
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
        lastError = error;
        continue;
      }
      if (RETRYABLE_STATUS.has(res.status) && attempt < retries) {
        await res.body?.cancel();
        lastError = new Error(`Toss answered ${res.status}`);
        continue;
      }
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
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        throw new TossUnavailableError(`Toss answered ${method} ${path} in an unexpected shape`, {
          cause: parsed.error,
        });
      }
      return parsed.data;
    }
    throw new TossUnavailableError(`Toss did not answer ${method} ${url.pathname}`, { cause: lastError });
  }

  const enc = encodeURIComponent;

  return {
    /** Opens a checkout for an order: the answer's `checkout.url` is where the customer pays. */
    createPayment(input: CreatePaymentRequest, m: Mutation): Promise<TossPayment> {
      return call('POST', '/v1/payments', tossPayment, createPaymentRequest.parse(input), m.idempotencyKey);
    },
    /** Approves an authenticated payment; must happen within 10 minutes of the customer's authentication. */
    confirm(input: ConfirmPaymentRequest, m: Mutation): Promise<TossPayment> {
      return call(
        'POST',
        '/v1/payments/confirm',
        tossPayment,
        confirmPaymentRequest.parse(input),
        m.idempotencyKey,
      );
    },
    /** Cancels everything left, or `cancelAmount` of it (partial refund). */
    cancel(paymentKey: string, input: CancelPaymentRequest, m: Mutation): Promise<TossPayment> {
      return call(
        'POST',
        `/v1/payments/${enc(paymentKey)}/cancel`,
        tossPayment,
        cancelPaymentRequest.parse(input),
        m.idempotencyKey,
      );
    },
    getPayment(paymentKey: string): Promise<TossPayment> {
      return call('GET', `/v1/payments/${enc(paymentKey)}`, tossPayment);
    },
    getPaymentByOrderId(orderId: string): Promise<TossPayment> {
      return call('GET', `/v1/payments/orders/${enc(orderId)}`, tossPayment);
    },
  };
}

export type TossClient = ReturnType<typeof createTossClient>;
