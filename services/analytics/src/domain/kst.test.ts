import { describe, expect, it } from 'vitest';
import { addMonths, dayKey, dayStart, daysBetween, hourKey, isoDay, monthsBetween } from './kst.ts';

describe('Asia/Seoul day boundaries', () => {
  it('puts 23:30 UTC on the next Seoul day and 14:59 UTC on the same one', () => {
    expect(dayKey(new Date('2026-03-01T23:30:00Z'))).toBe('20260302');
    expect(dayKey(new Date('2026-03-01T14:59:59Z'))).toBe('20260301');
    expect(dayKey(new Date('2026-03-01T15:00:00Z'))).toBe('20260302');
    expect(isoDay(new Date('2026-12-31T15:00:00Z'))).toBe('2027-01-01');
  });

  it('starts a Seoul day at 15:00 UTC the day before', () => {
    expect(dayStart('2026-03-02').toISOString()).toBe('2026-03-01T15:00:00.000Z');
  });

  it('walks days and months across year ends', () => {
    expect(daysBetween('2026-12-30', '2027-01-02')).toEqual([
      '2026-12-30',
      '2026-12-31',
      '2027-01-01',
      '2027-01-02',
    ]);
    expect(monthsBetween('2026-11', '2027-02')).toEqual(['2026-11', '2026-12', '2027-01', '2027-02']);
    expect(addMonths('2027-01', -11)).toBe('2026-02');
    expect(addMonths('2026-12', 1)).toBe('2027-01');
  });

  it('names hours in UTC', () => {
    expect(hourKey(new Date('2026-03-01T23:30:00Z'))).toBe('2026030123');
  });
});
