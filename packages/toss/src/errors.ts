/**
 * Toss error codes grouped by what a caller does about them. The groups follow Toss's published code
 * tables for confirm, cancel and lookup; unknown codes fall into `other`.
 */
export const TOSS_ERROR_GROUPS = {
  /** The payment was already approved (or cancelled): re-fetch it and act on its real status. */
  alreadyProcessed: ['ALREADY_PROCESSED_PAYMENT', 'DUPLICATED_ORDER_ID'],
  alreadyCanceled: ['ALREADY_CANCELED_PAYMENT', 'ALREADY_REFUND_PAYMENT'],
  notFound: ['NOT_FOUND_PAYMENT', 'NOT_FOUND'],
  /** The customer authenticated too long ago (confirm window) or never finished: start over. */
  sessionExpired: ['NOT_FOUND_PAYMENT_SESSION'],
  /** The card or account refused: tell the customer, do not retry. */
  rejected: [
    'REJECT_CARD_PAYMENT',
    'REJECT_CARD_COMPANY',
    'REJECT_ACCOUNT_PAYMENT',
    'REJECT_TOSSPAY_INVALID_ACCOUNT',
    'INVALID_REJECT_CARD',
    'INVALID_STOPPED_CARD',
    'INVALID_CARD_EXPIRATION',
    'INVALID_CARD_LOST_OR_STOLEN',
    'INVALID_CARD_NUMBER',
    'EXCEED_MAX_AMOUNT',
    'EXCEED_MAX_DAILY_PAYMENT_COUNT',
    'EXCEED_MAX_PAYMENT_AMOUNT',
    'EXCEED_MAX_ONE_DAY_AMOUNT',
    'EXCEED_MAX_AUTH_COUNT',
    'BELOW_MINIMUM_AMOUNT',
    'NOT_AVAILABLE_PAYMENT',
    'FDS_ERROR',
  ],
  /** The refund cannot happen as asked (amount, state). */
  notCancelable: [
    'NOT_CANCELABLE_PAYMENT',
    'NOT_CANCELABLE_AMOUNT',
    'NOT_MATCHES_REFUNDABLE_AMOUNT',
    'NOT_ALLOWED_PARTIAL_REFUND',
    'REFUND_REJECTED',
  ],
  /** Our keys or account are wrong: an operator problem, never the customer's. */
  unauthorized: ['UNAUTHORIZED_KEY', 'INVALID_API_KEY', 'INCORRECT_BASIC_AUTH_FORMAT', 'FORBIDDEN_REQUEST'],
  /** Worth retrying later with the same Idempotency-Key. */
  retryable: [
    'PROVIDER_ERROR',
    'FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING',
    'FAILED_INTERNAL_SYSTEM_PROCESSING',
    'UNKNOWN_PAYMENT_ERROR',
    'IDEMPOTENT_REQUEST_PROCESSING',
    'FORBIDDEN_CONSECUTIVE_REQUEST',
    'CARD_PROCESSING_ERROR',
  ],
} as const;

export type TossErrorKind = keyof typeof TOSS_ERROR_GROUPS | 'invalidRequest' | 'other';

export function tossErrorKind(code: string, status: number): TossErrorKind {
  for (const [kind, codes] of Object.entries(TOSS_ERROR_GROUPS)) {
    if ((codes as readonly string[]).includes(code)) return kind as TossErrorKind;
  }
  if (status >= 500) return 'retryable';
  if (code === 'INVALID_REQUEST' || status === 400) return 'invalidRequest';
  return 'other';
}

/** Toss answered with an error body `{code, message}`: the request was seen and refused. */
export class TossError extends Error {
  override name = 'TossError';
  readonly code: string;
  readonly status: number;
  readonly kind: TossErrorKind;

  constructor(status: number, code: string, message: string) {
    super(`Toss ${status} ${code}: ${message}`);
    this.status = status;
    this.code = code;
    this.kind = tossErrorKind(code, status);
  }

  get tossMessage(): string {
    return this.message.replace(/^Toss \d+ [A-Z_]+: /, '');
  }
}

/**
 * No answer (timeout, connection refused or cut, or an answer that is not Toss's shape). For a mutating
 * call the outcome is unknown: retry with the same Idempotency-Key or look the payment up.
 */
export class TossUnavailableError extends Error {
  override name = 'TossUnavailableError';
}

const inGroup = (group: keyof typeof TOSS_ERROR_GROUPS) => (error: unknown) =>
  error instanceof TossError && error.kind === group;

export const isAlreadyProcessed = inGroup('alreadyProcessed');
export const isAlreadyCanceled = inGroup('alreadyCanceled');
export const isNotFound = inGroup('notFound');
export const isSessionExpired = inGroup('sessionExpired');
export const isRejected = inGroup('rejected');
export const isNotCancelable = inGroup('notCancelable');
export const isUnauthorized = inGroup('unauthorized');

/** True when trying again later (same Idempotency-Key) may succeed. */
export function isRetryable(error: unknown): boolean {
  return error instanceof TossUnavailableError || (error instanceof TossError && error.kind === 'retryable');
}
