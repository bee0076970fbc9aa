import { randomBytes } from 'node:crypto';
import type { CancelPaymentRequest, ConfirmPaymentRequest, TossCancel, TossPayment } from '@tiketi/toss';

/** A refusal the sandbox answers like Toss does: HTTP status and `{code, message}`. */
export class SandboxError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const errors = {
  notFound: () => new SandboxError(404, 'NOT_FOUND_PAYMENT', '존재하지 않는 결제 정보 입니다.'),
  sessionExpired: () =>
    new SandboxError(
      404,
      'NOT_FOUND_PAYMENT_SESSION',
      '결제 시간이 만료되어 결제 진행 데이터가 존재하지 않습니다.',
    ),
  alreadyProcessed: () => new SandboxError(400, 'ALREADY_PROCESSED_PAYMENT', '이미 처리된 결제 입니다.'),
  alreadyCanceled: () => new SandboxError(400, 'ALREADY_CANCELED_PAYMENT', '이미 취소된 결제 입니다.'),
  duplicatedOrder: () =>
    new SandboxError(400, 'DUPLICATED_ORDER_ID', '이미 승인 및 취소가 진행된 중복된 주문번호 입니다.'),
  invalid: (message: string) => new SandboxError(400, 'INVALID_REQUEST', message),
  exceedMax: () => new SandboxError(400, 'EXCEED_MAX_AMOUNT', '거래금액 한도를 초과했습니다.'),
  belowMin: () =>
    new SandboxError(400, 'BELOW_MINIMUM_AMOUNT', '신용카드는 결제금액이 100원 이상이어야 합니다.'),
  rejectCard: () =>
    new SandboxError(403, 'REJECT_CARD_PAYMENT', '한도초과 혹은 잔액부족으로 결제에 실패했습니다.'),
  notCancelable: () => new SandboxError(403, 'NOT_CANCELABLE_PAYMENT', '취소 할 수 없는 결제 입니다.'),
  notCancelableAmount: () => new SandboxError(403, 'NOT_CANCELABLE_AMOUNT', '취소 할 수 없는 금액 입니다.'),
  refundableMismatch: () =>
    new SandboxError(400, 'NOT_MATCHES_REFUNDABLE_AMOUNT', '잔액 결과가 일치하지 않습니다.'),
};

/** What the customer does on the checkout page. `reject` authenticates a card that confirm then refuses. */
export type CheckoutOutcome = 'approve' | 'reject';

export type StoredPayment = {
  payment: TossPayment;
  successUrl: string;
  failUrl: string;
  authenticatedAt?: number;
  outcome?: CheckoutOutcome;
};

export type StoreOptions = {
  checkoutBaseUrl: () => string;
  confirmWindowMs: number;
  maxAmount: number;
  now: () => number;
  onStatusChange: (payment: TossPayment) => void;
};

const KOREAN_METHOD: Record<string, string> = {
  CARD: '카드',
  VIRTUAL_ACCOUNT: '가상계좌',
  EASY_PAY: '간편결제',
  MOBILE_PHONE: '휴대폰',
  TRANSFER: '계좌이체',
};

function key(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('base64url')}`;
}

/** Payments in memory, with Toss's state machine and rules. Tests start their own sandbox. */
export function createStore(options: StoreOptions) {
  const byKey = new Map<string, StoredPayment>();
  const byOrder = new Map<string, string>();
  const iso = () => new Date(options.now()).toISOString();

  function change(stored: StoredPayment, status: TossPayment['status']) {
    stored.payment.status = status;
    options.onStatusChange(structuredClone(stored.payment));
  }

  /** An authenticated payment not confirmed within the window expires, as at Toss. */
  function settleClock(stored: StoredPayment) {
    if (
      stored.payment.status === 'IN_PROGRESS' &&
      stored.authenticatedAt !== undefined &&
      options.now() - stored.authenticatedAt > options.confirmWindowMs
    ) {
      change(stored, 'EXPIRED');
    }
  }

  function get(paymentKey: string): StoredPayment {
    const stored = byKey.get(paymentKey);
    if (!stored) throw errors.notFound();
    settleClock(stored);
    return stored;
  }

  return {
    create(input: {
      method: string;
      amount: number;
      orderId: string;
      orderName: string;
      successUrl: string;
      failUrl: string;
    }): TossPayment {
      if (input.amount > options.maxAmount) throw errors.exceedMax();
      if (input.amount < 100) throw errors.belowMin();
      const existingKey = byOrder.get(input.orderId);
      if (existingKey) {
        const existing = get(existingKey);
        const status = existing.payment.status;
        if (status === 'READY' && existing.payment.totalAmount === input.amount) {
          return structuredClone(existing.payment);
        }
        if (status !== 'ABORTED' && status !== 'EXPIRED') throw errors.duplicatedOrder();
      }
      const paymentKey = key('tsb_');
      const payment: TossPayment = {
        version: '2022-11-16',
        paymentKey,
        orderId: input.orderId,
        orderName: input.orderName,
        status: 'READY',
        method: KOREAN_METHOD[input.method] ?? input.method,
        totalAmount: input.amount,
        balanceAmount: input.amount,
        suppliedAmount: Math.round(input.amount / 1.1),
        vat: input.amount - Math.round(input.amount / 1.1),
        currency: 'KRW',
        requestedAt: iso(),
        approvedAt: null,
        lastTransactionKey: null,
        cancels: null,
        card: null,
        checkout: { url: `${options.checkoutBaseUrl()}/checkout/${paymentKey}` },
        receipt: null,
        failure: null,
      };
      byKey.set(paymentKey, { payment, successUrl: input.successUrl, failUrl: input.failUrl });
      byOrder.set(input.orderId, paymentKey);
      return structuredClone(payment);
    },

    /** The customer finished the checkout: Toss redirects to successUrl and waits for confirm. */
    authorize(paymentKey: string, outcome: CheckoutOutcome = 'approve'): { redirectUrl: string } {
      const stored = get(paymentKey);
      // A second click on Pay lands on the same success page instead of an error.
      const repeat = stored.payment.status === 'IN_PROGRESS' && stored.outcome === outcome;
      if (stored.payment.status !== 'READY' && !repeat) throw errors.alreadyProcessed();
      if (!repeat) {
        stored.authenticatedAt = options.now();
        stored.outcome = outcome;
        stored.payment.status = 'IN_PROGRESS';
      }
      const url = new URL(stored.successUrl);
      url.searchParams.set('paymentKey', paymentKey);
      url.searchParams.set('orderId', stored.payment.orderId);
      url.searchParams.set('amount', String(stored.payment.totalAmount));
      return { redirectUrl: url.toString() };
    },

    /** The customer gave up or the card failed in the checkout: Toss redirects to failUrl. */
    abort(
      paymentKey: string,
      code = 'PAY_PROCESS_CANCELED',
      message = '사용자에 의해 결제가 취소되었습니다.',
    ): { redirectUrl: string } {
      const stored = get(paymentKey);
      if (stored.payment.status !== 'READY') throw errors.alreadyProcessed();
      stored.payment.failure = { code, message };
      change(stored, 'ABORTED');
      const url = new URL(stored.failUrl);
      url.searchParams.set('code', code);
      url.searchParams.set('message', message);
      url.searchParams.set('orderId', stored.payment.orderId);
      return { redirectUrl: url.toString() };
    },

    confirm(input: ConfirmPaymentRequest): TossPayment {
      const stored = get(input.paymentKey);
      const p = stored.payment;
      if (p.orderId !== input.orderId) throw errors.notFound();
      if (p.status === 'EXPIRED' || p.status === 'ABORTED') throw errors.sessionExpired();
      if (p.status === 'READY') throw errors.invalid('결제 인증이 완료되지 않은 결제입니다.');
      if (p.status !== 'IN_PROGRESS') throw errors.alreadyProcessed();
      if (p.totalAmount !== input.amount) throw errors.invalid('결제 금액이 일치하지 않습니다.');
      if (stored.outcome === 'reject') {
        p.failure = {
          code: 'REJECT_CARD_PAYMENT',
          message: '한도초과 혹은 잔액부족으로 결제에 실패했습니다.',
        };
        change(stored, 'ABORTED');
        throw errors.rejectCard();
      }
      p.approvedAt = iso();
      p.method = p.method ?? '카드';
      p.lastTransactionKey = key('txn_');
      p.card = { company: '신한', number: '43301234****123*', approveNo: String(Date.now()).slice(-8) };
      p.receipt = { url: `${options.checkoutBaseUrl()}/receipts/${p.paymentKey}` };
      change(stored, 'DONE');
      return structuredClone(p);
    },

    cancel(paymentKey: string, input: CancelPaymentRequest): TossPayment {
      const stored = get(paymentKey);
      const p = stored.payment;
      if (p.status === 'CANCELED') throw errors.alreadyCanceled();
      if (p.status !== 'DONE' && p.status !== 'PARTIAL_CANCELED') throw errors.notCancelable();
      if (input.refundableAmount !== undefined && input.refundableAmount !== p.balanceAmount) {
        throw errors.refundableMismatch();
      }
      const amount = input.cancelAmount ?? p.balanceAmount;
      if (amount > p.balanceAmount) throw errors.notCancelableAmount();
      p.balanceAmount -= amount;
      const cancel: TossCancel = {
        cancelAmount: amount,
        cancelReason: input.cancelReason,
        canceledAt: iso(),
        transactionKey: key('txn_'),
        cancelStatus: 'DONE',
        refundableAmount: p.balanceAmount,
        taxFreeAmount: 0,
      };
      p.cancels = [...(p.cancels ?? []), cancel];
      p.lastTransactionKey = cancel.transactionKey;
      change(stored, p.balanceAmount === 0 ? 'CANCELED' : 'PARTIAL_CANCELED');
      return structuredClone(p);
    },

    get(paymentKey: string): TossPayment {
      return structuredClone(get(paymentKey).payment);
    },

    getByOrder(orderId: string): TossPayment {
      const paymentKey = byOrder.get(orderId);
      if (!paymentKey) throw errors.notFound();
      return structuredClone(get(paymentKey).payment);
    },

    /** For the checkout page: the payment as the customer sees it. */
    peek(paymentKey: string): StoredPayment | undefined {
      const stored = byKey.get(paymentKey);
      if (stored) settleClock(stored);
      return stored;
    },

    list(): TossPayment[] {
      for (const stored of byKey.values()) settleClock(stored);
      return [...byKey.values()].map((s) => structuredClone(s.payment)).reverse();
    },

    /** Expires what the clock says is expired (so their webhooks go out without anyone asking). */
    sweep(): void {
      for (const stored of byKey.values()) settleClock(stored);
    },
  };
}

export type Store = ReturnType<typeof createStore>;
