import { describe, expect, it } from 'vitest';
import { effectiveStatus } from './event-rules.ts';

const at = (iso: string) => new Date(iso);
const event = {
  status: 'published' as const,
  saleOpensAt: at('2030-01-10T00:00:00Z'),
  saleClosesAt: at('2030-01-20T00:00:00Z'),
  startsAt: at('2030-01-25T00:00:00Z'),
};

describe('effective event status', () => {
  it('is published before the sale opens', () => {
    expect(effectiveStatus(event, at('2030-01-09T23:59:59Z'))).toBe('published');
  });
  it('is on sale from the opening instant until just before closing', () => {
    expect(effectiveStatus(event, at('2030-01-10T00:00:00Z'))).toBe('on_sale');
    expect(effectiveStatus({ ...event, status: 'on_sale' }, at('2030-01-19T23:59:59Z'))).toBe('on_sale');
    expect(effectiveStatus(event, at('2030-01-20T00:00:00Z'))).toBe('published');
  });
  it('has ended once the show starts, even if it sold out', () => {
    expect(effectiveStatus(event, at('2030-01-25T00:00:00Z'))).toBe('ended');
    expect(effectiveStatus({ ...event, status: 'sold_out' }, at('2030-01-26T00:00:00Z'))).toBe('ended');
    expect(effectiveStatus({ ...event, status: 'sold_out' }, at('2030-01-15T00:00:00Z'))).toBe('sold_out');
  });
  it('keeps drafts and cancelled events as they are', () => {
    expect(effectiveStatus({ ...event, status: 'draft' }, at('2030-01-15T00:00:00Z'))).toBe('draft');
    expect(effectiveStatus({ ...event, status: 'cancelled' }, at('2030-01-30T00:00:00Z'))).toBe('cancelled');
  });
});
