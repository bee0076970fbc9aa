import { describe, expect, it } from 'vitest';
import { discountPerSeat } from './voucher-rules.ts';

const vip = 'vip';
const r = 'r';
const seats = [
  { seatId: 'a', tierId: vip, price: 150_000 },
  { seatId: 'b', tierId: r, price: 90_000 },
  { seatId: 'c', tierId: r, price: 90_000 },
];

describe('discountPerSeat', () => {
  it('takes a percentage off each seat of the voucher’s tiers, rounded down', () => {
    const off = discountPerSeat({ kind: 'percent', value: 15, tierIds: [r] }, seats);
    expect([...off]).toEqual([
      ['b', 13_500],
      ['c', 13_500],
    ]);
  });

  it('spreads a fixed amount over the seats by price, to the won', () => {
    const off = discountPerSeat({ kind: 'amount', value: 10_001, tierIds: [] }, seats);
    expect([...off.values()].reduce((a, b) => a + b, 0)).toBe(10_001);
    expect(off.get('a')).toBe(4546);
    expect(off.get('b')).toBe(2728);
    expect(off.get('c')).toBe(2727);
  });

  it('never takes off more than the seats cost', () => {
    const off = discountPerSeat({ kind: 'amount', value: 1_000_000, tierIds: [vip] }, seats);
    expect([...off]).toEqual([['a', 150_000]]);
  });

  it('applies to nothing when no held seat is of its tiers', () => {
    expect(discountPerSeat({ kind: 'percent', value: 10, tierIds: ['other'] }, seats).size).toBe(0);
  });
});
