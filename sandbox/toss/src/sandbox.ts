import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '@tiketi/kit';
import {
  cancelPaymentRequest,
  confirmPaymentRequest,
  createPaymentRequest,
  type TossPayment,
} from '@tiketi/toss';
import Fastify, { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { z } from 'zod';
import { checkoutPage, indexPage, receiptPage } from './pages.ts';
import { type CheckoutOutcome, createStore, SandboxError } from './store.ts';
import { createWebhookSender } from './webhooks.ts';

export type TossOperation = 'create' | 'confirm' | 'cancel' | 'get';

/**
 * A failure to inject into the next calls of one operation:
 * - `error`: answer this error and change nothing;
 * - `after-commit`: do the work, then answer this error (Toss approved, the caller never heard);
 * - `drop`: do the work, remember the answer for its Idempotency-Key, then cut the connection;
 * - `delay`: wait `delayMs`, then do the work normally.
 */
export type Fault = {
  operation: TossOperation;
  mode: 'error' | 'after-commit' | 'drop' | 'delay';
  status?: number;
  code?: string;
  message?: string;
  delayMs?: number;
  /** How many calls it affects (default 1). */
  times?: number;
};

export type TossSandboxOptions = {
  port?: number;
  host?: string;
  /** Where browsers reach the sandbox (checkout URLs); defaults to http://localhost:<port>. */
  publicUrl?: string;
  /** Receiver of PAYMENT_STATUS_CHANGED; none when unset. */
  webhookUrl?: string;
  webhookRetryDelaysMs?: number[];
  webhookTimeoutMs?: number;
  /** Accepted secret keys; by default any Toss-style test key (`test_sk_…`, `test_gsk_…`). */
  secretKeys?: string[];
  confirmWindowMs?: number;
  maxAmount?: number;
  logger?: Logger;
};

const faultSchema = z.object({
  operation: z.enum(['create', 'confirm', 'cancel', 'get']),
  mode: z.enum(['error', 'after-commit', 'drop', 'delay']),
  status: z.number().int().min(400).max(599).optional(),
  code: z.string().optional(),
  message: z.string().optional(),
  delayMs: z.number().int().nonnegative().max(120_000).optional(),
  times: z.number().int().positive().optional(),
});

const TEST_KEY = /^test_g?sk_[A-Za-z0-9_]+$/;
const DEFAULT_RETRY_DELAYS = [1000, 5000, 30_000, 120_000, 600_000, 3_600_000, 21_600_000];

type Remembered = { fingerprint: string; status: number; body: unknown } | { fingerprint: string };

/** Starts the Toss Payments stand-in; `port: 0` picks a free port (tests). */
export async function startTossSandbox(options: TossSandboxOptions = {}) {
  const logger = options.logger ?? createLogger('sandbox-toss', 'silent');
  let clockOffset = 0;
  let webhookUrl = options.webhookUrl;
  let baseUrl = options.publicUrl ?? '';
  const faults: Fault[] = [];
  const remembered = new Map<string, Remembered>();

  const webhooks = createWebhookSender({
    url: () => webhookUrl,
    retryDelaysMs: options.webhookRetryDelaysMs ?? DEFAULT_RETRY_DELAYS,
    timeoutMs: options.webhookTimeoutMs ?? 10_000,
    logger,
  });
  const store = createStore({
    checkoutBaseUrl: () => baseUrl,
    confirmWindowMs: options.confirmWindowMs ?? 600_000,
    maxAmount: options.maxAmount ?? 10_000_000,
    now: () => Date.now() + clockOffset,
    onStatusChange: (payment) => webhooks.send(payment),
  });
  const sweeper = setInterval(() => store.sweep(), 1000);
  sweeper.unref();

  function takeFault(operation: TossOperation): Fault | undefined {
    const index = faults.findIndex((f) => f.operation === operation);
    if (index < 0) return undefined;
    const fault = faults[index]!;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) faults.splice(index, 1);
    return fault;
  }

  function authenticate(req: FastifyRequest): string {
    const header = req.headers.authorization;
    if (!header)
      throw new SandboxError(401, 'UNAUTHORIZED_KEY', '인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.');
    const [scheme, encoded] = header.split(' ');
    const decoded = scheme === 'Basic' && encoded ? Buffer.from(encoded, 'base64').toString('utf8') : '';
    if (!decoded.endsWith(':')) {
      throw new SandboxError(
        401,
        'INCORRECT_BASIC_AUTH_FORMAT',
        "잘못된 요청입니다. ':' 를 포함해 인코딩해주세요.",
      );
    }
    const secretKey = decoded.slice(0, -1);
    const accepted = options.secretKeys ? options.secretKeys.includes(secretKey) : TEST_KEY.test(secretKey);
    if (!accepted) {
      throw new SandboxError(401, 'UNAUTHORIZED_KEY', '인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.');
    }
    return secretKey;
  }

  const calls: Record<TossOperation, number> = { create: 0, confirm: 0, cancel: 0, get: 0 };

  function parse<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
    const parsed = schema.safeParse(body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SandboxError(
        400,
        'INVALID_REQUEST',
        `잘못된 요청입니다. ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
      );
    }
    return parsed.data;
  }

  /**
   * One Toss API call: authentication, Idempotency-Key (a repeat answers the first answer; a repeat while
   * the first is still running answers 409), injected faults, then the work itself.
   */
  function api(operation: TossOperation, work: (req: FastifyRequest) => TossPayment) {
    return async (req: FastifyRequest, reply: FastifyReply) => {
      calls[operation]++;
      const secretKey = authenticate(req);
      const header = req.headers['idempotency-key'];
      const idempotencyKey = req.method === 'POST' && typeof header === 'string' ? header : undefined;
      if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 300)) {
        throw new SandboxError(400, 'INVALID_REQUEST', 'Idempotency-Key는 300자 이하여야 합니다.');
      }
      const slot = idempotencyKey ? `${secretKey}:${idempotencyKey}` : undefined;
      const fingerprint = `${req.method} ${req.url} ${JSON.stringify(req.body ?? null)}`;
      if (slot) {
        const seen = remembered.get(slot);
        if (seen && seen.fingerprint !== fingerprint) {
          throw new SandboxError(
            422,
            'INVALID_REQUEST',
            '같은 Idempotency-Key로 다른 요청을 보낼 수 없습니다.',
          );
        }
        if (seen && !('status' in seen)) {
          throw new SandboxError(409, 'IDEMPOTENT_REQUEST_PROCESSING', '이전 멱등 요청이 처리중 입니다.');
        }
        if (seen && 'status' in seen) return reply.code(seen.status).send(seen.body);
        remembered.set(slot, { fingerprint });
      }
      const fault = takeFault(operation);
      try {
        if (fault?.mode === 'delay') await new Promise((r) => setTimeout(r, fault.delayMs ?? 1000));
        if (fault?.mode === 'error') {
          throw new SandboxError(
            fault.status ?? 400,
            fault.code ?? 'PROVIDER_ERROR',
            fault.message ?? '일시적인 오류가 발생했습니다. 잠시 후 다시 시도해주세요.',
          );
        }
        let result: TossPayment;
        try {
          result = work(req);
        } catch (error) {
          if (slot && error instanceof SandboxError && error.status < 500) {
            remembered.set(slot, { fingerprint, status: error.status, body: toBody(error) });
          }
          throw error;
        }
        if (fault?.mode === 'after-commit') {
          throw new SandboxError(
            fault.status ?? 500,
            fault.code ?? 'FAILED_INTERNAL_SYSTEM_PROCESSING',
            fault.message ?? '내부 시스템 처리 작업이 실패했습니다. 잠시 후 다시 시도해주세요.',
          );
        }
        if (slot) remembered.set(slot, { fingerprint, status: 200, body: result });
        if (fault?.mode === 'drop') {
          reply.hijack();
          req.raw.socket.destroy();
          return reply;
        }
        return reply.code(200).send(result);
      } finally {
        const seen = slot ? remembered.get(slot) : undefined;
        if (slot && seen && !('status' in seen)) remembered.delete(slot);
      }
    };
  }

  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );
  app.setErrorHandler((error, _req, reply) => {
    if (error instanceof SandboxError) return reply.code(error.status).send(toBody(error));
    if (error instanceof z.ZodError) {
      return reply.code(400).send({ code: 'INVALID_REQUEST', message: z.prettifyError(error) });
    }
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status < 500) {
      return reply.code(status).send({ code: 'INVALID_REQUEST', message: (error as Error).message });
    }
    logger.error({ err: error }, 'sandbox failure');
    return reply
      .code(500)
      .send({ code: 'FAILED_INTERNAL_SYSTEM_PROCESSING', message: '내부 시스템 처리 작업이 실패했습니다.' });
  });
  app.setNotFoundHandler((_req, reply) =>
    reply.code(404).send({ code: 'NOT_FOUND', message: '존재하지 않는 요청입니다.' }),
  );

  // The Toss API.
  app.post(
    '/v1/payments',
    api('create', (req) => store.create(parse(createPaymentRequest, req.body))),
  );
  app.post(
    '/v1/payments/confirm',
    api('confirm', (req) => store.confirm(parse(confirmPaymentRequest, req.body))),
  );
  app.post(
    '/v1/payments/:paymentKey/cancel',
    api('cancel', (req) =>
      store.cancel((req.params as { paymentKey: string }).paymentKey, parse(cancelPaymentRequest, req.body)),
    ),
  );
  app.get(
    '/v1/payments/orders/:orderId',
    api('get', (req) => store.getByOrder((req.params as { orderId: string }).orderId)),
  );
  app.get(
    '/v1/payments/:paymentKey',
    api('get', (req) => store.get((req.params as { paymentKey: string }).paymentKey)),
  );

  // What the customer sees.
  app.get('/', async (_req, reply) => reply.type('text/html').send(indexPage(store.list())));
  app.get('/checkout/:paymentKey', async (req, reply) => {
    const stored = store.peek((req.params as { paymentKey: string }).paymentKey);
    if (!stored) return reply.code(404).type('text/html').send('<h1>결제 정보를 찾을 수 없습니다</h1>');
    return reply.type('text/html').send(checkoutPage(stored));
  });
  app.post('/checkout/:paymentKey', async (req, reply) => {
    const { paymentKey } = req.params as { paymentKey: string };
    const action = (req.body as { action?: string } | undefined)?.action;
    const { redirectUrl } =
      action === 'pay' || action === 'reject'
        ? store.authorize(paymentKey, action === 'pay' ? 'approve' : 'reject')
        : store.abort(paymentKey);
    return reply.redirect(redirectUrl, 303);
  });
  app.get('/receipts/:paymentKey', async (req, reply) =>
    reply.type('text/html').send(receiptPage(store.get((req.params as { paymentKey: string }).paymentKey))),
  );

  // Sandbox-only controls for tests: what the checkout buttons do, faults, the clock, webhook log.
  const control = {
    authorize: (paymentKey: string, outcome: CheckoutOutcome = 'approve') => {
      const payment = store.get(paymentKey);
      const { redirectUrl } = store.authorize(paymentKey, outcome);
      return { paymentKey, orderId: payment.orderId, amount: payment.totalAmount, redirectUrl };
    },
    abort: (paymentKey: string, code?: string, message?: string) => store.abort(paymentKey, code, message),
    injectFault: (fault: Fault) => {
      faults.push({ ...fault, times: fault.times ?? 1 });
    },
    clearFaults: () => {
      faults.length = 0;
    },
    /** Moves the sandbox's clock forward (the confirm window, expiry). */
    advanceClock: (ms: number) => {
      clockOffset += ms;
      store.sweep();
    },
    setWebhookUrl: (url: string | undefined) => {
      webhookUrl = url;
    },
    webhookAttempts: () => webhooks.attempts(),
    payments: () => store.list(),
    /** How many API calls of each operation the sandbox has received (what a merchant's quota counts). */
    calls: () => ({ ...calls }),
  };
  app.post('/sandbox/payments/:paymentKey/authorize', async (req) => {
    const body = z.object({ outcome: z.enum(['approve', 'reject']).optional() }).parse(req.body ?? {});
    return control.authorize((req.params as { paymentKey: string }).paymentKey, body.outcome);
  });
  app.post('/sandbox/payments/:paymentKey/abort', async (req) => {
    const body = z
      .object({ code: z.string().optional(), message: z.string().optional() })
      .parse(req.body ?? {});
    return control.abort((req.params as { paymentKey: string }).paymentKey, body.code, body.message);
  });
  app.post('/sandbox/faults', async (req, reply) => {
    control.injectFault(faultSchema.parse(req.body));
    return reply.code(204).send();
  });
  app.delete('/sandbox/faults', async (_req, reply) => {
    control.clearFaults();
    return reply.code(204).send();
  });
  app.post('/sandbox/clock', async (req) => {
    const { advanceMs } = z.object({ advanceMs: z.number().int().nonnegative() }).parse(req.body);
    control.advanceClock(advanceMs);
    return { now: new Date(Date.now() + clockOffset).toISOString() };
  });
  app.get('/sandbox/webhooks', async () => ({ items: control.webhookAttempts() }));

  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  if (!baseUrl) baseUrl = `http://localhost:${port}`;

  return {
    port,
    /** The API base URL for the Toss client (TOSS_API_URL). */
    url: `http://127.0.0.1:${port}`,
    ...control,
    async close() {
      clearInterval(sweeper);
      await webhooks.close();
      await app.close();
    },
  };
}

export type TossSandbox = Awaited<ReturnType<typeof startTossSandbox>>;

function toBody(error: SandboxError) {
  return { code: error.code, message: error.message };
}
