import { HttpProblem } from '@tiketi/kit';
import { describe, expect, it } from 'vitest';
import {
  assertAmount,
  assertCancellable,
  orderIdFor,
  orderNameFor,
  planRefund,
  tossPhone,
} from './payment-rules.ts';

const seats = [
  { seatId: 'a', price: 150_000, refunded: false },
  { seatId: 'b', price: 90_000, refunded: false },
  { seatId: 'c', price: 90_000, refunded: true },
];
const payment = { amount: 330_000, refundedAmount: 90_000 };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof HttpProblem ? error.code : 'not a problem';
  }
  return undefined;
}

describe('payment rules', () => {
  it('refunds chosen seats at their prices and the last seats as everything left', () => {
    expect(planRefund(payment, seats, { seatIds: ['b'] })).toEqual({
      amount: 90_000,
      seatIds: ['b'],
      full: false,
    });
    expect(planRefund(payment, seats, { seatIds: ['a', 'b'] })).toEqual({
      amount: 240_000,
      seatIds: ['a', 'b'],
      full: true,
    });
    expect(planRefund(payment, seats, {})).toEqual({ amount: 240_000, seatIds: ['a', 'b'], full: true });
  });

  it('gives a seat back at its share of what is left once an amount was refunded with the seats kept', () => {
    // 198,000 for two seats, 100,000 given back as a goodwill gesture: the seats are worth 98,000 now.
    const pair = [
      { seatId: 'x', price: 99_000, refunded: false },
      { seatId: 'y', price: 99_000, refunded: false },
    ];
    const paid = { amount: 198_000, refundedAmount: 100_000 };
    expect(planRefund(paid, pair, { seatIds: ['x'] })).toEqual({
      amount: 49_000,
      seatIds: ['x'],
      full: false,
    });
    const after = { amount: 198_000, refundedAmount: 149_000 };
    const one = [{ ...pair[0]!, refunded: true }, pair[1]!];
    expect(planRefund(after, one, { seatIds: ['y'] })).toEqual({
      amount: 49_000,
      seatIds: ['y'],
      full: true,
    });
    // Uneven shares round down; the last seat takes the remainder.
    const three = [
      { seatId: 'p', price: 100_000, refunded: false },
      { seatId: 'q', price: 100_000, refunded: false },
      { seatId: 'r', price: 100_000, refunded: false },
    ];
    expect(planRefund({ amount: 300_000, refundedAmount: 1 }, three, { seatIds: ['p'] }).amount).toBe(99_999);
  });

  it('refuses seats that are not refundable, amounts beyond what is left and both at once', () => {
    expect(codeOf(() => planRefund(payment, seats, { seatIds: ['c'] }))).toBe('SEATS_NOT_REFUNDABLE');
    expect(codeOf(() => planRefund(payment, seats, { seatIds: ['zzz'] }))).toBe('SEATS_NOT_REFUNDABLE');
    expect(codeOf(() => planRefund(payment, seats, { amount: 240_001 }))).toBe('REFUND_TOO_LARGE');
    expect(codeOf(() => planRefund(payment, seats, { amount: 1, seatIds: ['a'] }))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => planRefund({ amount: 10, refundedAmount: 10 }, seats, {}))).toBe('NOTHING_TO_REFUND');
  });

  it('refunds an amount without seats unless it is everything left', () => {
    expect(planRefund(payment, seats, { amount: 1_000 })).toEqual({
      amount: 1_000,
      seatIds: [],
      full: false,
    });
    expect(planRefund(payment, seats, { amount: 240_000 })).toEqual({
      amount: 240_000,
      seatIds: ['a', 'b'],
      full: true,
    });
  });

  it('lets customers cancel until the deadline, and always for a cancelled event', () => {
    const startsAt = new Date('2026-12-24T10:00:00Z');
    expect(
      codeOf(() => assertCancellable({ startsAt, cancelledAt: null }, new Date('2026-12-23T09:59:00Z'), 24)),
    ).toBe(undefined);
    expect(
      codeOf(() => assertCancellable({ startsAt, cancelledAt: null }, new Date('2026-12-23T10:00:00Z'), 24)),
    ).toBe('CANCEL_DEADLINE_PASSED');
    expect(
      codeOf(() =>
        assertCancellable({ startsAt, cancelledAt: new Date() }, new Date('2026-12-24T12:00:00Z'), 24),
      ),
    ).toBe(undefined);
  });

  it('lets customers cancel an event known only from its cancellation, and waits for an unknown start', () => {
    const now = new Date('2026-12-24T12:00:00Z');
    expect(codeOf(() => assertCancellable({ startsAt: null, cancelledAt: now }, now, 24))).toBe(undefined);
    expect(codeOf(() => assertCancellable({ startsAt: null, cancelledAt: null }, now, 24))).toBe(
      'EVENT_SCHEDULE_UNKNOWN',
    );
    expect(codeOf(() => assertCancellable(undefined, now, 24))).toBe('EVENT_SCHEDULE_UNKNOWN');
  });

  it('refuses an amount other than the server’s', () => {
    expect(codeOf(() => assertAmount(55_000, 55_000))).toBe(undefined);
    expect(codeOf(() => assertAmount(100, 55_000))).toBe('AMOUNT_MISMATCH');
  });

  it('builds Toss-valid order ids, names and phone numbers', () => {
    expect(orderIdFor('01a20ae3-520f-778f-88a1-483c105303ba')).toMatch(/^[A-Za-z0-9_-]{6,64}$/);
    expect(orderNameFor('Concert', ['A-1', 'A-2', 'A-3'])).toBe('Concert · A-1 +2');
    expect(orderNameFor(undefined, ['A-1'])).toBe('Tiketi · A-1');
    expect(orderNameFor('x'.repeat(200), ['A-1'])).toHaveLength(100);
    expect(tossPhone('010-1234-5678')).toBe('01012345678');
    expect(tossPhone(null)).toBeUndefined();
  });
});
