import { describe, expect, it } from 'vitest';
import { concertFileName } from '../src/admin.ts';

describe('concertFileName', () => {
  it('names a concert’s download by its title and its day in Seoul', () => {
    // 16:00 UTC is already the next day in Seoul.
    const concert = { title: 'NewJeans — Bunnies Camp', startsAt: '2027-01-21T16:00:00.000Z' };
    expect(concertFileName(concert, 'orders', 'csv')).toBe('NewJeans — Bunnies Camp 2027-01-22 orders.csv');
  });

  it('keeps Hangul and leaves out what a file system refuses, the ends’ dots and spaces too', () => {
    const concert = { title: '. 아이유: "Golden/Hour" <Encore>?\t..', startsAt: '2027-03-01T10:00:00.000Z' };
    expect(concertFileName(concert, 'attendees', 'csv')).toBe(
      '아이유 Golden Hour Encore 2027-03-01 attendees.csv',
    );
  });

  it('cuts a long title short without splitting a character', () => {
    const concert = { title: '🎤'.repeat(150), startsAt: '2027-03-01T10:00:00.000Z' };
    expect(concertFileName(concert, 'orders', 'csv')).toBe(`${'🎤'.repeat(100)} 2027-03-01 orders.csv`);
  });
});
