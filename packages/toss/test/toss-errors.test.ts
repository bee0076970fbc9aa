import { describe, expect, it } from 'vitest';
import {
  isAlreadyProcessed,
  isRejected,
  isRetryable,
  TossError,
  TossUnavailableError,
  tossAuthorization,
  tossErrorKind,
  tossWebhook,
} from '../src/index.ts';

describe('Toss client rules', () => {
  it('authenticates with the secret key as the Basic user name and no password', () => {
    expect(tossAuthorization('test_sk_abc')).toBe(`Basic ${Buffer.from('test_sk_abc:').toString('base64')}`);
  });

  it('groups Toss codes by what the caller should do', () => {
    expect(tossErrorKind('ALREADY_PROCESSED_PAYMENT', 400)).toBe('alreadyProcessed');
    expect(tossErrorKind('REJECT_CARD_COMPANY', 403)).toBe('rejected');
    expect(tossErrorKind('NOT_FOUND_PAYMENT_SESSION', 404)).toBe('sessionExpired');
    expect(tossErrorKind('UNAUTHORIZED_KEY', 401)).toBe('unauthorized');
    expect(tossErrorKind('SOMETHING_NEW', 503)).toBe('retryable');
    expect(tossErrorKind('SOMETHING_NEW', 400)).toBe('invalidRequest');
    expect(tossErrorKind('SOMETHING_NEW', 409)).toBe('other');
  });

  it('keeps Toss code, status and message on the error', () => {
    const error = new TossError(400, 'ALREADY_PROCESSED_PAYMENT', '이미 처리된 결제 입니다.');
    expect(error).toMatchObject({ status: 400, code: 'ALREADY_PROCESSED_PAYMENT', kind: 'alreadyProcessed' });
    expect(error.tossMessage).toBe('이미 처리된 결제 입니다.');
    expect(isAlreadyProcessed(error)).toBe(true);
    expect(isRejected(error)).toBe(false);
    expect(isRetryable(error)).toBe(false);
    expect(isRetryable(new TossUnavailableError('timeout'))).toBe(true);
    expect(isAlreadyProcessed(new Error('ALREADY_PROCESSED_PAYMENT'))).toBe(false);
  });

  it('parses a webhook body and refuses one without a paymentKey', () => {
    const body = {
      eventType: 'PAYMENT_STATUS_CHANGED',
      createdAt: '2026-11-23T10:00:00.000000',
      data: { paymentKey: 'pk', orderId: 'order-1', status: 'DONE', totalAmount: 1000 },
    };
    expect(tossWebhook.parse(body).data.paymentKey).toBe('pk');
    expect(tossWebhook.safeParse({ ...body, data: { orderId: 'order-1', status: 'DONE' } }).success).toBe(
      false,
    );
  });
});
